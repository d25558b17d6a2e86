// A server for the page-cache benchmark, in its own process. The same 10 KB
// JSON body from: `constant` (plain Fastify, the body serialized once at start,
// the in-process ceiling), `constant-hit-headers` (the same with the four
// headers a hit adds: what they cost on their own), `serializing` (plain
// Fastify serializing the object on every request), and through cutover: `memory-hit`, `redis-hit` (Redis
// store, the body stored brotli-compressed), `redis-hit-autopipelined` (the
// same on a client with enableAutoPipelining), `tiered-hit` (memory layer in
// front of Redis) and `miss` (a new key every request, memory store).
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import cutover from '../../src/plugin.js'

const mode = process.argv[2] ?? 'constant'
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))
const body = { items, padding: '' }
body.padding = 'x'.repeat(Math.max(0, 10 * 1024 - JSON.stringify(body).length))
const serialized = JSON.stringify(body)

const app = Fastify({ logger: false })
const prefix = `cutover-bench-${process.pid}`
// `redis-hit-autopipelined`: the same Redis store on a client that sends the commands issued in one tick in one write.
const redis = mode === 'redis-hit' || mode === 'redis-hit-autopipelined' || mode === 'tiered-hit'
  ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { enableAutoPipelining: mode === 'redis-hit-autopipelined' })
  : undefined
if (redis && mode.startsWith('redis-hit')) await app.register(cutover, { redis, prefix })
else if (redis) await app.register(cutover, { redis, prefix, memory: {} })
else if (mode !== 'constant' && mode !== 'serializing') await app.register(cutover, {})

if (mode === 'constant') {
  app.get('/page', async (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8')
    return serialized
  })
} else if (mode === 'constant-hit-headers') {
  // What sendPage sets on a memory hit besides the stored content-type (values of the same lengths).
  app.get('/page', async (_request, reply) => {
    reply.header('cutover-path', 'page')
    reply.header('content-type', 'application/json; charset=utf-8')
    reply.header('age', 0)
    reply.header('etag', '"QBaqwgyLKywLHjHp3pXvlCKTGwm"')
    reply.header('cache-status', 'cutover; hit; ttl=3600')
    return serialized
  })
} else {
  const config = mode === 'serializing' ? {} : { cutover: { id: 'bench', ttl: 3600, query: true as const } }
  app.get('/page', { config }, async () => body)
}
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
const port = typeof address === 'object' && address ? address.port : 0
// Forked by the bench: the port over IPC; run on its own (under valgrind): on stdout.
if (process.send) process.send({ port })
else console.log(JSON.stringify({ port }))
// For profiling (`node --cpu-prof`, which writes its profile on a normal exit only): stop after this many ms.
async function shutdown(): Promise<void> {
  await app.close()
  if (redis) {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  }
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown())
if (process.env.BENCH_EXIT_AFTER_MS) setTimeout(() => void shutdown(), Number(process.env.BENCH_EXIT_AFTER_MS))
