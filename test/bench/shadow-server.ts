// A server for the shadow benchmark, in its own process. `off`: the route in
// mode off (its handler runs, the legacy path). `shadow`: the route in shadow
// mode at the given sample rate through the plugin's shadow seam, with the
// shadow engine: cached-page read, comparison, fresh and secondary renders
// through app.inject, batched MySQL writes to the database MYSQL_URL names.
import Fastify from 'fastify'
import cutover from '../../src/plugin.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowPool, createShadowWriter } from '../../src/shadow/writer.js'
import { StaticFlagSource } from '../helpers/flags.js'

const mode = process.argv[2] ?? 'off'
const rate = Number(process.argv[3] ?? 0.1)
// `differs`: every render carries its own time, so every sample is a mismatch (the costliest case).
const differs = process.argv[4] !== 'same'
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))

const pool = mode === 'shadow' ? createShadowPool(process.env.MYSQL_URL ?? '') : undefined
const writer = pool ? createShadowWriter({ pool, pruneEveryMs: 0 }) : undefined
const runner = writer ? createShadowRunner({ sink: writer, source: injectCandidateSource({ readCached: pageCacheReader() }) }) : undefined
const flags = new StaticFlagSource({ bench: mode === 'shadow' ? { mode: 'shadow', shadowRate: rate } : 'off' })

const app = Fastify({ logger: false })
await app.register(cutover, { flags, ...(runner ? { shadow: runner.handler } : {}) })
app.get('/page', { config: { cutover: { id: 'bench', ttl: 3600 } } }, async () => (differs ? { items, at: Date.now() } : { items }))

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('SIGTERM', async () => {
  await app.close()
  if (writer) {
    await writer.close()
    const stats = writer.stats()
    console.log(`  shadow writer: ${stats.written} samples written, ${stats.dropped} dropped, ${stats.capped} capped`)
  }
  await pool?.end()
  process.exit(0)
})
