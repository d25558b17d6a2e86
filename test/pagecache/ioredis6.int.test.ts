import Fastify from 'fastify'
import { Redis as Redis5 } from 'ioredis'
import { Redis as Redis6 } from 'ioredis6'
import { describe, expect, it } from 'vitest'
import cutover from '../../src/plugin.js'
import { Meter } from '../../src/meter/meter.js'
import { readMeter } from '../../src/meter/read.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { redisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

// `npm install ioredis` gives ioredis 6; apps on 5 stay on 5. Both majors'
// clients are accepted by the options (this file type-checks with each) and
// work: pages stored and served, tags purged across a memory layer, the
// meter's counts flushed, a metered queue's jobs enqueued. So do clients made
// with `enableAutoPipelining` (the commands issued in one tick go in one
// write): their `call`/`callBuffer` lose the command name that way (with an
// array of arguments the client throws outside any promise and the process
// dies), so cutover's scripts must not go through them.
describe.each([
  ['ioredis 5', (): Redis5 | Redis6 => new Redis5(REDIS_URL)],
  ['ioredis 6', (): Redis5 | Redis6 => new Redis6(REDIS_URL)],
  ['ioredis 5 with enableAutoPipelining', (): Redis5 | Redis6 => new Redis5(REDIS_URL, { enableAutoPipelining: true })],
  ['ioredis 6 with enableAutoPipelining', (): Redis5 | Redis6 => new Redis6(REDIS_URL, { enableAutoPipelining: true })],
])('an app\'s %s client', (_name, connect) => {
  it('the plugin stores and serves pages and purges tags with it, with and without a memory layer', async () => {
    const r = redisForTest('ioredis-major')
    const redis = connect()
    try {
      for (const memory of [undefined, { maxBytes: 1 << 20 }]) {
        const app = Fastify()
        await app.register(cutover, { redis, prefix: `${r.prefix}${memory ? 'm' : ''}`, ...(memory ? { memory } : {}), timeout: 2000 })
        let n = 0
        app.get('/p', { config: { cutover: { id: 'p', ttl: 60, tags: ['t'] } } }, async () => ({ n: ++n }))
        await app.ready()
        // Concurrent first requests: one lookup takes the render lease, the others wait for its page.
        const first = await Promise.all([1, 2, 3].map(() => app.inject('/p')))
        expect(first.map((res) => res.statusCode)).toEqual([200, 200, 200])
        expect(first.map((res) => res.headers['cache-status'])).toContain('cutover; fwd=miss; stored')
        // The second hit on a page read before takes its tags' states in the lookup's script.
        for (let i = 0; i < 3; i++) expect((await app.inject('/p')).headers['cache-status']).toMatch(/^cutover; hit/)
        expect(app.cutover.stats().p?.errors ?? 0).toBe(0)
        await app.cutover.invalidate({ tags: ['t'], hard: true })
        expect((await app.inject('/p')).json()).toEqual({ n: 2 })
        await app.close()
      }
      // The stores take it directly too.
      const store = new RedisPageStore({ redis, prefix: r.prefix })
      expect(await store.get({ route: 'none', hash: 'ab' })).toBeUndefined()
      const tiered = new TieredPageStore({ redis, prefix: r.prefix })
      await tiered.close()
    } finally {
      redis.disconnect()
      await r.cleanup()
    }
  })

  it('the meter writes its counts with it, and a metered queue enqueues with it', async () => {
    const r = redisForTest('ioredis-major')
    const redis = connect()
    try {
      const meter = new Meter({ redis, prefix: r.prefix, flushIntervalMs: 0 })
      const from = Date.now()
      meter.countRequest('r', false)
      const queue = meterQueue(new ListRefreshQueue({ redis, prefix: r.prefix, name: 'q' }), meter)
      await queue.enqueue([{ table: 'products', id: 1 }, { table: 'products', id: 2 }])
      expect(await queue.depth()).toBe(2)
      await meter.close()
      const reading = await readMeter({ redis: r.redis, prefix: r.prefix, from, to: Date.now() })
      expect(reading.user.get('r')?.counters.requests).toBe(1)
      expect(reading.user.get('(background)')?.counters.jobs).toBe(2)
    } finally {
      redis.disconnect()
      await r.cleanup()
    }
  })
})
