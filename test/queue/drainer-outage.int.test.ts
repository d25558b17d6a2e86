import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { createDrainer, type DrainFault } from '../../src/queue/drainer.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { until } from '../contract/refresh-queue.contract.js'
import { freePort, ScratchRedis } from '../helpers/redis-server.js'

describe('a drainer whose Redis goes away', () => {
  let server: ScratchRedis | undefined
  afterAll(async () => server?.stop())

  it('pauses while Redis is down and goes on by itself once it is back', async () => {
    server = new ScratchRedis(await freePort())
    await server.start()
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 })
    redis.on('error', () => undefined)
    const queue = new ListRefreshQueue({ redis, prefix: 'outage', name: 'q' })
    const refreshed = new Set<number>()
    const drainer = createDrainer({
      queue, redis, rate: 500, untilDepth: 0, progressEveryMs: 50,
      refreshMany: async (_, ids) => ids.forEach((id) => refreshed.add(Number(id))),
    })
    const faults: DrainFault[] = []
    drainer.on('fault', (f) => faults.push(f))
    try {
      await queue.enqueue(Array.from({ length: 3000 }, (_, i) => ({ table: 'products', id: i + 1 })))
      const done = drainer.start()
      await until(() => refreshed.size > 100, 10_000)
      await server.stop()
      await until(() => faults.length >= 2, 10_000)
      expect(faults.every((f) => f.kind === 'redis')).toBe(true)
      await server.start()
      // The scratch server keeps nothing across a restart: what was queued is gone with it.
      await until(async () => (await redis.ping().catch(() => '')) === 'PONG', 10_000)
      await queue.enqueue(Array.from({ length: 200 }, (_, i) => ({ table: 'products', id: 10_001 + i })))
      const result = await done
      expect(result.reason).toBe('empty')
      for (let id = 10_001; id <= 10_200; id++) expect(refreshed.has(id)).toBe(true)
    } finally {
      await drainer.stop()
      redis.disconnect()
    }
  }, 60_000)
})
