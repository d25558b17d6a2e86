// A server for the page-cache benchmark, in its own process: `ceiling` returns a
// constant 10 KB JSON body with plain Fastify; the others serve the same body
// through cutover from memory, from Redis, or on a miss for every request.
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import cutover from '../../src/plugin.js'

const mode = process.argv[2] ?? 'ceiling'
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))
const body = { items, padding: '' }
body.padding = 'x'.repeat(Math.max(0, 10 * 1024 - JSON.stringify(body).length))

const app = Fastify({ logger: false })
let redis: Redis | undefined
if (mode !== 'ceiling') {
  if (mode === 'redis-hit') redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
  await app.register(cutover, redis ? { redis, prefix: `cutover-bench-${process.pid}` } : {})
}
const config = mode === 'ceiling' ? {} : { cutover: { id: 'bench', ttl: 3600, query: true as const } }
app.get('/page', { config }, async () => body)
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address()
process.send?.({ port: typeof address === 'object' && address ? address.port : 0 })
process.on('SIGTERM', async () => {
  await app.close()
  if (redis) {
    const keys = await redis.keys(`cutover-bench-${process.pid}*`)
    if (keys.length > 0) await redis.del(...keys)
    redis.disconnect()
  }
  process.exit(0)
})
