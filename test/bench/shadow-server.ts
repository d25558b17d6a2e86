// A server for the shadow benchmark, in its own process. `off`: the route runs
// its handler (mode off, the legacy path). `shadow`: the same, and one request
// in ten is shadowed after its response is sent (cached-page read, comparison,
// sampled fresh and secondary renders through app.inject, batched MySQL writes).
// The shadow is wired here with onSend/onResponse hooks as the plugin's shadow
// seam does; MYSQL_URL names the database the samples go to.
import Fastify from 'fastify'
import cutover from '../../src/plugin.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowPool, createShadowWriter } from '../../src/shadow/writer.js'

const mode = process.argv[2] ?? 'off'
const rate = Number(process.argv[3] ?? 0.1)
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))

const app = Fastify({ logger: false })
await app.register(cutover, {})
app.get('/page', { config: { cutover: { id: 'bench', ttl: 3600, mode: 'off' } } }, async () => ({ items, at: Date.now() }))

const pool = mode === 'shadow' ? createShadowPool(process.env.MYSQL_URL ?? '') : undefined
const writer = pool ? createShadowWriter({ pool, pruneEveryMs: 0 }) : undefined
if (writer) {
  const runner = createShadowRunner({ sink: writer, source: injectCandidateSource({ readCached: pageCacheReader() }) })
  const bodies = new WeakMap<object, Buffer>()
  let n = 0
  app.addHook('onSend', async (request, _reply, payload) => {
    if (request.headers['x-cutover-shadow'] === undefined && typeof payload === 'string') bodies.set(request, Buffer.from(payload))
    return payload
  })
  app.addHook('onResponse', async (request, reply) => {
    const body = bodies.get(request)
    // Deterministic 1-in-(1/rate) sample, as the flag's sampler would give.
    if (!body || (n++ % Math.round(1 / rate)) !== 0) return
    void runner.handler({
      app,
      request: { routeId: 'bench', method: request.method, url: request.url, headers: request.headers },
      control: { status: reply.statusCode, headers: reply.getHeaders(), body, durationMs: reply.elapsedTime },
      signal: AbortSignal.timeout(2000),
    })
  })
}

await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('SIGTERM', async () => {
  await app.close()
  if (writer) {
    await writer.close()
    const stats = writer.stats()
    process.send?.({ stats })
    console.log(`  shadow writer: ${stats.written} samples written, ${stats.dropped} dropped, ${stats.capped} capped`)
  }
  await pool?.end()
  process.exit(0)
})
