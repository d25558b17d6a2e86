import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import cutover from '../../src/plugin.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

const userOf = (req: FastifyRequest): string | undefined => /session=(\w+)/.exec(req.headers.cookie ?? '')?.[1]

function routes(app: FastifyInstance): void {
  app.get('/home', { config: { cutover: { id: 'home', ttl: 60, query: ['page'] } } }, async (req) => ({
    link: `${req.protocol}://${req.host}${req.url}`,
    query: req.query,
  }))
  app.get('/me', { config: { cutover: { id: 'me', ttl: 60, user: userOf } } }, async (req) => {
    await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 3)))
    return { user: userOf(req) }
  })
}

/** Instances of one app behind a balancer: one Redis, one prefix, each with its own memory layer. */
describe('several instances sharing one Redis', () => {
  let r: RedisForTest | undefined
  const apps: FastifyInstance[] = []
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close()
    await r?.cleanup()
  })

  async function instances(n: number): Promise<FastifyInstance[]> {
    r = redisForTest('security-x')
    for (let i = 0; i < n; i++) {
      const app = Fastify({ logger: false, trustProxy: true })
      await app.register(cutover, { redis: r.connect(), prefix: r.prefix, memory: { maxBytes: 1 << 20 }, timeout: 2000 })
      routes(app)
      await app.ready()
      apps.push(app)
    }
    return apps
  }

  it('a page poisoned through one instance (forged X-Forwarded-Host, unkeyed parameter) is never served by another', async () => {
    const [a, b] = await instances(2)
    const forgedHost = await a!.inject({ url: '/home?page=1', headers: { host: 'shop.example', 'x-forwarded-host': 'evil.example' } })
    expect(forgedHost.body).toContain('evil.example')
    // Same key as the victim's: stored, but rendered without the parameter.
    const junk = await a!.inject({ url: '/home?page=1&x=%3Cscript%3E', headers: { host: 'shop.example' } })
    expect(String(junk.headers['cache-status'])).toContain('stored')
    const victim = await b!.inject({ url: '/home?page=1', headers: { host: 'shop.example' } })
    expect(victim.json()).toEqual({ link: 'http://shop.example/home?page=1', query: { page: '1' } })
    const victimAgain = await a!.inject({ url: '/home?page=1', headers: { host: 'shop.example' } })
    expect(victimAgain.json()).toEqual(victim.json())
    expect(String(victimAgain.headers['cache-status'])).toContain('hit')
  })

  it('two users never see each other\'s page across three instances under 1,000 interleaved requests', async () => {
    const all = await instances(3)
    const requests = Array.from({ length: 1000 }, (_, i) => ({ user: i % 2 === 0 ? 'alice' : 'bob', app: all[i % 3]! }))
    for (let i = requests.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1))
      ;[requests[i], requests[j]] = [requests[j]!, requests[i]!]
    }
    const results = await Promise.all(
      requests.map(async ({ user, app }) => {
        const res = await app.inject({ url: '/me', headers: { cookie: `session=${user}` } })
        return { user, got: (res.json() as { user: string }).user, status: res.statusCode }
      }),
    )
    expect(results.filter((x) => x.status !== 200 || x.got !== x.user)).toEqual([])
  })
})
