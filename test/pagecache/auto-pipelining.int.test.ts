import Fastify from 'fastify'
import { Redis as Redis5 } from 'ioredis'
import { Redis as Redis6 } from 'ioredis6'
import { afterEach, describe, expect, it } from 'vitest'
import cutover from '../../src/plugin.js'
import { Meter } from '../../src/meter/meter.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import { readMeter } from '../../src/meter/read.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

// ioredis's `enableAutoPipelining` sends the commands issued in one tick in one
// write. Its `call`/`callBuffer` lose their command name that way (with an
// array of arguments, the client throws outside any promise and the process
// dies), so cutover's scripts must not go through them.
describe.each([
  ['ioredis 5', (): Redis5 | Redis6 => new Redis5(REDIS_URL, { enableAutoPipelining: true })],
  ['ioredis 6', (): Redis5 | Redis6 => new Redis6(REDIS_URL, { enableAutoPipelining: true })],
])('an app\'s %s client with enableAutoPipelining', (_name, connect) => {
  let r: RedisForTest | undefined
  let redis: Redis5 | Redis6 | undefined
  afterEach(async () => {
    redis?.disconnect()
    await r?.cleanup()
  })

  it('serves misses, hits and purges with the plugin, with and without a memory layer', async () => {
    r = redisForTest('autopipeline')
    redis = connect()
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
      for (let i = 0; i < 3; i++) expect((await app.inject('/p')).headers['cache-status']).toMatch(/^cutover; hit/)
      await app.cutover.invalidate({ tags: ['t'], hard: true })
      expect((await app.inject('/p')).json()).toEqual({ n: 2 })
      expect(app.cutover.stats().p?.errors ?? 0).toBe(0)
      await app.close()
    }
  })

  it('carries the meter and a metered refresh queue', async () => {
    r = redisForTest('autopipeline-meter')
    redis = connect()
    const from = Date.now() - 60_000
    const meter = new Meter({ redis, prefix: r.prefix, flushIntervalMs: 0 })
    const queue = meterQueue(new ListRefreshQueue({ redis: redis as unknown as Redis5, prefix: r.prefix, name: 'q' }), meter)
    await queue.enqueue([{ table: 'products', id: 1 }, { table: 'products', id: 2 }])
    expect(await queue.depth()).toBe(2)
    await meter.flush()
    const read = await readMeter({ redis: redis as unknown as Redis5, prefix: r.prefix, from, to: Date.now() + 60_000 })
    expect(read.user.get('(background)')?.counters.jobs).toBe(2)
    await meter.close()
  })
})
