import { Redis as Redis5 } from 'ioredis'
import { Redis as Redis6 } from 'ioredis6'
import { describe, expect, it } from 'vitest'
import { StaticFlagSource } from '../../src/flags/static-source.js'
import { runWithMeterContext } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { readMeter } from '../../src/meter/read.js'
import { meterDrainer, meterGatedQueue } from '../../src/meter/wrap-drain.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { createQueueControl } from '../../src/queue/control.js'
import { createDrainer } from '../../src/queue/drainer.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { redisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

// The migration's side of an app whose client is ioredis 6 (what `npm install
// ioredis` gives) or 5: the queue's drivers, the gate, the control plane, the
// drainer, the metered client and the meter's reader take either major's
// client as it is. This file type-checks with each (no casts), and each runs.
describe.each([
  ['ioredis 5', (): Redis5 | Redis6 => new Redis5(REDIS_URL)],
  ['ioredis 6', (): Redis5 | Redis6 => new Redis6(REDIS_URL)],
])('an app\'s %s client', (_name, connect) => {
  it('gates, controls and drains a list queue, with the meter reading its counts back', async () => {
    const r = redisForTest('ioredis-queue')
    const redis = connect()
    const meter = new Meter({ redis, prefix: r.prefix, flushIntervalMs: 0 })
    const list = new ListRefreshQueue({ redis, prefix: r.prefix, name: 'q' })
    try {
      const from = Date.now()
      const control = createQueueControl({ redis, prefix: r.prefix, name: 'q' })
      const flags = new StaticFlagSource({ 'p.off': 'off', 'p.on': 'on' })
      const queue = meterGatedQueue(list, meter, { flags, control, overridesTtlMs: 0 })
      const app = meterRedis(redis, meter)
      await runWithMeterContext({ route: 'p.off', shadow: false, source: 'request' }, async () => {
        await app.get(`${r.prefix}:absent`)
        await queue.enqueue([{ table: 'products', id: 1 }, { table: 'products', id: 2 }])
      })
      // Mode on drops its jobs; the control plane's override makes this route pass.
      await runWithMeterContext({ route: 'p.on', shadow: false, source: 'request' }, () => queue.enqueue([{ table: 'products', id: 3 }]))
      await control.setGatePolicy('p.on', 'pass')
      await runWithMeterContext({ route: 'p.on', shadow: false, source: 'request' }, () => queue.enqueue([{ table: 'products', id: 4 }]))
      expect((await control.status()).depth).toBe(3)

      const refreshed: Array<string | number> = []
      const drainer = createDrainer({
        queue: list, redis, rate: 10_000, untilDepth: 0, progressEveryMs: 50,
        refreshMany: async (_table, ids) => void refreshed.push(...ids),
        ...meterDrainer(meter),
      })
      const result = await drainer.start()
      expect(result.reason).toBe('empty')
      expect(refreshed.map(Number).sort()).toEqual([1, 2, 4])

      await meter.close()
      const reading = await readMeter({ redis, prefix: r.prefix, from, to: Date.now() })
      expect(reading.user.get('p.off')?.counters).toMatchObject({ redis: 1, jobs: 2 })
      expect(reading.user.get('p.on')?.counters).toMatchObject({ jobs: 2, gateDropped: 1, gatePassed: 1 })
    } finally {
      await meter.close()
      await list.close()
      redis.disconnect()
      await r.cleanup()
    }
  })

  it('enqueues, claims and acks on a BullMQ queue', async () => {
    const r = redisForTest('ioredis-bullmq')
    const redis = connect()
    const queue = new BullmqRefreshQueue({ redis, prefix: r.prefix, name: 'b' })
    try {
      await queue.enqueue([{ table: 'products', id: 1, origin: 'p' }, { table: 'products', id: 2, origin: 'p' }])
      const claimed = await queue.claim(10, 30_000)
      expect(claimed.map((c) => c.job?.id).sort()).toEqual([1, 2])
      expect(await queue.ack(claimed)).toBe(2)
      expect(await queue.depth()).toBe(0)
    } finally {
      await queue.close()
      redis.disconnect()
      await r.cleanup()
    }
  })
})
