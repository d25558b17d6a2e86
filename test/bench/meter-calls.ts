// The legacy list route's Redis work alone (a GET, a 100-GET pipeline, 100
// refresh jobs enqueued), in one process, bare / in a meter context / through
// the metered client and queue: the meter's cost per request without HTTP,
// Fastify or the database, to the microsecond. Run by meter.bench.ts with each
// Node binary; prints one JSON line: case -> CPU microseconds per request, per round.
// Env: REDIS_URL, PREFIX (keys it writes and deletes), ROUNDS.
import { Redis } from 'ioredis'
import { runWithMeterContext } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import type { RefreshQueue } from '../../src/queue/refresh-queue.js'

const prefix = process.env.PREFIX ?? `cutover-bench-meter-calls-${process.pid}`
const rounds = Number(process.env.ROUNDS ?? 9)
const raw = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379')
const meterClient = raw.duplicate()
const meter = new Meter({ redis: meterClient, prefix: `${prefix}-meter` })
const queue = new ListRefreshQueue({ redis: raw, prefix })
const keys = Array.from({ length: 100 }, (_, i) => `${prefix}:product:${i + 1}`)

/** One list request's Redis work on `redis` and `q`. */
async function listRequest(redis: Redis, q: RefreshQueue): Promise<void> {
  await redis.get(`${prefix}:query`)
  const read = redis.pipeline()
  for (const key of keys) read.get(key)
  await read.exec()
  await q.enqueue(keys.map((_, i) => ({ table: 'products', id: i + 1 })))
}

const inContext = <T>(fn: () => Promise<T>): Promise<T> =>
  runWithMeterContext({ route: 'products.list', shadow: false, source: 'request', counts: { dbCalls: 0, redisCalls: 0, refreshJobs: 0 } }, fn)
const metered = { redis: meterRedis(raw, meter), queue: meterQueue(queue, meter) }
const cases: Record<string, () => Promise<void>> = {
  'no meter': () => listRequest(raw, queue),
  'request context only': () => inContext(() => listRequest(raw, queue)),
  'metered client': () => inContext(() => listRequest(metered.redis, queue)),
  'metered client and queue': () => inContext(() => listRequest(metered.redis, metered.queue)),
}

try {
  await raw.mset(...keys.flatMap((key, i) => [key, JSON.stringify({ id: i + 1, categoryId: 1, name: `Product ${i + 1}`, priceCents: 999, updatedAt: '2026-01-01T00:00:00.000Z' })]))
  await raw.set(`${prefix}:query`, JSON.stringify({ ids: keys.map((_, i) => i + 1), total: 100 }))
  const perRound: Record<string, number[]> = {}
  for (let round = -2; round < rounds; round++) {
    for (const [name, run] of Object.entries(cases)) {
      const requests = 1200
      const start = process.cpuUsage()
      // Four at a time, as a server interleaves concurrent requests.
      for (let i = 0; i < requests / 4; i++) await Promise.all([run(), run(), run(), run()])
      const used = process.cpuUsage(start)
      if (round >= 0) (perRound[name] ??= []).push((used.user + used.system) / requests)
      // The jobs piled up would slow the next case's enqueue script: start each case empty.
      await raw.del(queue.keys.waiting, queue.keys.pending, queue.keys.recent, queue.shared.control)
    }
  }
  console.log(JSON.stringify(perRound))
} finally {
  await meter.close()
  const left = await raw.keys(`${prefix}*`)
  if (left.length > 0) await raw.del(...left)
  meterClient.disconnect()
  raw.disconnect()
}
