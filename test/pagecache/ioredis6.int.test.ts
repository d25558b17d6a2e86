import Fastify from 'fastify'
import { Redis as Redis5 } from 'ioredis'
import { Redis as Redis6 } from 'ioredis6'
import { describe, expect, it } from 'vitest'
import cutover from '../../src/plugin.js'
import { Meter } from '../../src/meter/meter.js'
import { readMeter } from '../../src/meter/read.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { redisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

// `npm install ioredis` gives ioredis 6; apps on 5 stay on 5. Both majors'
// clients are accepted by the options (this file type-checks with each) and
// work: pages stored and served, tags purged across a memory layer, the
// meter's counts flushed.
describe.each([
  ['ioredis 5', (): Redis5 | Redis6 => new Redis5(REDIS_URL)],
  ['ioredis 6', (): Redis5 | Redis6 => new Redis6(REDIS_URL)],
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
        expect((await app.inject('/p')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
        expect((await app.inject('/p')).headers['cache-status']).toMatch(/^cutover; hit/)
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

  it('the meter writes its counts with it', async () => {
    const r = redisForTest('ioredis-major')
    const redis = connect()
    try {
      const meter = new Meter({ redis, prefix: r.prefix, flushIntervalMs: 0 })
      const from = Date.now()
      meter.countRequest('r', false)
      await meter.close()
      const reading = await readMeter({ redis: r.redis, prefix: r.prefix, from, to: Date.now() })
      expect(reading.user.get('r')?.counters.requests).toBe(1)
    } finally {
      redis.disconnect()
      await r.cleanup()
    }
  })
})
