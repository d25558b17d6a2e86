// A server for the shadow benchmark, in its own process. `off`: the route in
// mode off (its handler runs, the legacy path), no shadow engine. `off-engine`:
// the same with the shadow engine registered (what an app that shadows other
// routes, or this one later, runs in mode off). `shadow`: the route in shadow
// mode at the given sample rate through the plugin's shadow seam, with the
// shadow engine: cached-page read, comparison, fresh and secondary renders,
// batched MySQL writes to the database MYSQL_URL names.
// `noop`: shadow mode with a handler that does nothing (the plugin's own share).
// Renders go through the app's own socket unless the fourth argument is `inject`.
import Fastify from 'fastify'
import cutover from '../../src/plugin.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { loopbackCandidateSource } from '../../src/shadow/loopback-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowPool, createShadowWriter } from '../../src/shadow/writer.js'
import { StaticFlagSource } from '../helpers/flags.js'

const mode = process.argv[2] ?? 'off'
const rate = Number(process.argv[3] ?? 0.1)
// `differs`: every render carries its own time, so every sample is a mismatch (the costliest case).
const differs = process.argv[4] !== 'same'
// `inject`: renders through app.inject instead of the app's own socket (the runner's default).
const viaInject = process.argv[5] === 'inject'
// `unbudgeted`: the shadows' CPU budget off (shadowLimits.maxLoopShare Infinity), as before there was one;
// a number: that maxLoopShare instead of the default.
const budget = process.argv[6] === 'unbudgeted' ? Infinity : process.argv[6] !== undefined && Number.isFinite(Number(process.argv[6])) ? Number(process.argv[6]) : undefined
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))

const engine = mode === 'shadow' || mode === 'off-engine'
const pool = engine ? createShadowPool(process.env.MYSQL_URL ?? '') : undefined
const writer = pool ? createShadowWriter({ pool, pruneEveryMs: 0 }) : undefined
const runner = writer ? createShadowRunner({ sink: writer, source: (viaInject ? injectCandidateSource : loopbackCandidateSource)({ readCached: pageCacheReader() }) }) : undefined
const flags = new StaticFlagSource({ bench: mode === 'shadow' || mode === 'noop' ? { mode: 'shadow', shadowRate: rate } : 'off' })
const shadow = mode === 'noop' ? async (): Promise<void> => {} : runner?.handler

const app = Fastify({ logger: false })
await app.register(cutover, { flags, ...(shadow ? { shadow } : {}), ...(budget !== undefined ? { shadowLimits: { maxLoopShare: budget } } : {}) })
app.get('/page', { config: { cutover: { id: 'bench', ttl: 3600 } } }, async () => (differs ? { items, at: Date.now() } : { items }))

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('SIGTERM', async () => {
  const paths = app.cutover.paths().bench
  if (shadow && paths && paths.legacy > 0) {
    const b = app.cutover.shadowBudget()
    const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(3))
    console.log(`  ${mode} ${process.argv.slice(3).join(' ')}: shadowed ${paths.shadowed} of ${paths.legacy} (${((100 * paths.shadowed) / paths.legacy).toFixed(1)}%, configured ${rate * 100}%); budget factor ${b.factor.toFixed(2)}, loop ms per request ${ms(b.requestMs)}, per shadow ${ms(b.shadowMs)}`)
  }
  await app.close()
  if (writer) {
    await writer.close()
    const stats = writer.stats()
    console.log(`  shadow writer: ${stats.written} samples written, ${stats.dropped} dropped, ${stats.capped} capped`)
  }
  await pool?.end()
  process.exit(0)
})
