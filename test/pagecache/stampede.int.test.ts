import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { appWith, sleep } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

// Four app instances share one Redis, as four processes would (each has its own
// client, in-process flights and lease waits); only the store is shared.
describe('stampede across instances sharing one Redis', () => {
  let r: RedisForTest
  let apps: FastifyInstance[] = []
  const renders = { n: 0 }

  beforeAll(async () => {
    r = redisForTest('stampede')
    apps = await Promise.all(
      Array.from({ length: 4 }, async () => {
        // A generous timeout: this test is about coalescing, not about a slow Redis
        // (which fails open and renders: see redis-fault.int.test.ts).
        const app = await appWith({ redis: r.connect(), prefix: r.prefix, timeout: 5000 })
        app.get('/hot', { config: { cutover: { id: 'hot', ttl: 60 } } }, async () => {
          renders.n++
          await sleep(100) // a slow origin widens the stampede window
          return { hot: true, at: Date.now() }
        })
        app.get('/personal', { config: { cutover: { id: 'personal', ttl: 60, user: (req) => req.headers['x-user'] as string | undefined } } }, async (req) => {
          await sleep(20)
          return { user: req.headers['x-user'] }
        })
        await app.ready()
        return app
      }),
    )
  })
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()))
    await r.cleanup()
  })

  it('500 concurrent cold requests for one key run the handler exactly once', async () => {
    const responses = await Promise.all(Array.from({ length: 500 }, (_, i) => apps[i % 4]!.inject('/hot')))
    expect(renders.n, JSON.stringify(apps.map((a) => a.cutover.stats().hot))).toBe(1)
    expect(responses.every((res) => res.statusCode === 200)).toBe(true)
    expect(new Set(responses.map((res) => res.body)).size).toBe(1)
    const statuses = responses.map((res) => res.headers['cache-status'])
    expect(statuses.filter((s) => s === 'cutover; fwd=miss; stored')).toHaveLength(1)
  })

  it('waiters never get a page rendered for another user', async () => {
    const users = ['ann', 'bob', 'cy']
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const user = users[i % 3]!
        return apps[(i * 7) % 4]!.inject({ url: '/personal', headers: { 'x-user': user, authorization: `Bearer ${user}` } }).then((res) => ({ user, res }))
      }),
    )
    for (const { user, res } of responses) expect(JSON.parse(res.body)).toEqual({ user })
  })
})
