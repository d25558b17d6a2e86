import type { FastifyInstance, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../src/demo/load.js'
import { STORES, appsFor } from './apps.js'

// A seeded generator, so a failing interleaving can be replayed.
const prng = seededRandom

const SEED = 20_261_124

const userFromCookie = (req: FastifyRequest): string | undefined => /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]

/** A personal dashboard: the body names its owner and carries their secret. Renders take a random few ms. */
function dashboard(random: () => number) {
  return (app: FastifyInstance): void => {
    app.get('/dashboard', { config: { cutover: { id: 'dashboard', ttl: 60, user: userFromCookie } } }, async (req) => {
      const user = userFromCookie(req)
      await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 4)))
      return { user, secret: `${user}-secret`, balance: (user ?? '').length * 1000 }
    })
  }
}

describe.each(STORES)('users of a route keyed on the user ($name)', (store) => {
  const build = appsFor(store)

  it('never see each other\'s page under 1,000 interleaved concurrent requests (cold start, hits, and purges mid-flight)', async () => {
    const random = prng(SEED)
    const app = await build(dashboard(random))
    const users: string[] = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? 'alice' : 'bob'))
    for (let i = users.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[users[i], users[j]] = [users[j] as string, users[i] as string]
    }

    const responses = await Promise.all(
      users.map(async (user, i) => {
        // Spread the starts and purge the route now and then, so misses, coalesced waits and hits all interleave.
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 20)))
        if (i % 200 === 199) await app.cutover.invalidate({ route: 'dashboard' })
        const res = await app.inject({ url: '/dashboard', headers: { cookie: `theme=dark; session=${user}` } })
        return { user, status: res.statusCode, body: res.json() as { user: string; secret: string }, cache: String(res.headers['cache-status']) }
      }),
    )

    const wrong = responses.filter((r) => r.status !== 200 || r.body.user !== r.user || r.body.secret !== `${r.user}-secret`)
    expect(wrong).toEqual([])
    // The cache was really in play: most requests were answered without a render of their own.
    const served = responses.filter((r) => /hit/.test(r.cache)).length
    expect(served).toBeGreaterThan(500)
  })

  it('never see each other\'s page over real keep-alive connections either (1,000 interleaved fetches)', async () => {
    const random = prng(SEED + 2)
    const app = await build(dashboard(random))
    await app.listen({ port: 0, host: '127.0.0.1' })
    const address = app.server.address()
    if (address === null || typeof address === 'string') throw new Error('no port')
    const url = `http://127.0.0.1:${address.port}/dashboard`
    const users = Array.from({ length: 1000 }, () => (random() < 0.5 ? 'alice' : 'bob'))
    const results = await Promise.all(
      users.map(async (user) => {
        const res = await fetch(url, { headers: { cookie: `session=${user}` } })
        const body = (await res.json()) as { user: string; secret: string }
        return { user, status: res.status, body, cache: res.headers.get('cache-status') ?? '' }
      }),
    )
    expect(results.filter((r) => r.status !== 200 || r.body.user !== r.user || r.body.secret !== `${r.user}-secret`)).toEqual([])
    expect(results.filter((r) => r.cache.includes('hit')).length).toBeGreaterThan(500)
  })

  it('concurrent first requests of two users for one cold page are not coalesced into one render', async () => {
    const app = await build(dashboard(prng(SEED + 1)))
    const [a, b] = await Promise.all([
      app.inject({ url: '/dashboard', headers: { cookie: 'session=alice' } }),
      app.inject({ url: '/dashboard', headers: { cookie: 'session=bob' } }),
    ])
    expect(a.json().user).toBe('alice')
    expect(b.json().user).toBe('bob')
    expect(app.cutover.stats().dashboard?.miss).toBe(2)
  })
})
