import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

/**
 * Each handler's body is a pure function of what the router matched (route and
 * params), so "the right page" for any URL is exactly what the same app
 * without a cache answers: the oracle.
 */
function pathRoutes(cached: boolean) {
  const config = (id: string) => (cached ? { config: { cutover: { id, ttl: 60 } } } : {})
  return (app: FastifyInstance): void => {
    app.get('/api/me', config('me'), async () => ({ route: 'me', secret: 'the account page' }))
    app.get('/u/:name', config('user'), async (req) => ({ route: 'user', params: req.params }))
    app.get('/files/*', config('files'), async (req) => ({ route: 'files', params: req.params }))
  }
}

const CANONICAL = ['/api/me', '/u/alice', '/files/a/b']

const VARIANTS = [
  // static-extension suffixes (web cache deception)
  '/api/me.css', '/api/me/x.css', '/api/me;x.css', '/api/me%3Bx.css', '/api/me?x.css', '/api/me/.css',
  '/u/alice.css', '/u/alice/x.css', '/u/alice;x.css', '/u/alice%2Fx.css', '/u/alice%2fx.css', '/u/alice%3Fx.css', '/u/alice%23x.css',
  // slashes
  '/api/me/', '//api/me', '/api//me', '/u/alice/', '/u//alice', '/files/a//b', '/files//a/b', '/files/a%2Fb', '/files/a/b/',
  // percent-encoding of unreserved and reserved characters, dot segments
  '/api/%6De', '/api/%6de', '/%61pi/me', '/u/al%69ce', '/u/alice%2e', '/u/%2e%2e', '/u/..%2Fapi%2Fme', '/u/alice%20', '/u/alice%00',
  '/api/./me', '/api/x/../me', '/files/a/./b', '/files/a/%2e%2e/b',
  // case
  '/API/me', '/api/ME', '/u/Alice', '/u/ALICE', '/u/ALICE.css', '/files/A/b',
]

const ROUTERS: Array<[string, FastifyServerOptions]> = [
  ['default router', {}],
  ['ignoreTrailingSlash', { routerOptions: { ignoreTrailingSlash: true } }],
  ['ignoreDuplicateSlashes', { routerOptions: { ignoreDuplicateSlashes: true } }],
  ['case-insensitive router', { routerOptions: { caseSensitive: false } }],
  // Fastify reads this router option at runtime; its type declarations lack it.
  ['useSemicolonDelimiter', { routerOptions: { useSemicolonDelimiter: true } } as FastifyServerOptions],
]

describe.each(STORES)('path confusion ($name)', (store) => {
  const build = appsFor(store)
  const oracles: FastifyInstance[] = []
  afterEach(async () => {
    for (const app of oracles.splice(0)) await app.close()
  })

  async function oracle(server: FastifyServerOptions): Promise<FastifyInstance> {
    const app = Fastify({ logger: false, ...server })
    pathRoutes(false)(app)
    await app.ready()
    oracles.push(app)
    return app
  }

  describe.each(ROUTERS)('%s', (_label, server) => {
    it('no path variant is ever served another path\'s cached page: each gets its own page or the router\'s 404', async () => {
      const [app, expected] = await Promise.all([build(pathRoutes(true), server), oracle(server)])
      const check = async (url: string): Promise<void> => {
        const [got, want] = await Promise.all([app.inject(url), expected.inject(url)])
        expect({ url, status: got.statusCode, body: got.body }).toEqual({ url, status: want.statusCode, body: want.body })
      }
      // Canonical pages cached first, then every variant (twice: a miss and whatever is cached for it), then
      // the canonical pages again, which the variants must not have overwritten.
      for (const url of CANONICAL) await check(url)
      for (const url of VARIANTS) {
        await check(url)
        await check(url)
      }
      for (const url of CANONICAL) await check(url)
    })

    it('variants cached first do not take over the canonical pages', async () => {
      const [app, expected] = await Promise.all([build(pathRoutes(true), server), oracle(server)])
      for (const url of [...VARIANTS, ...CANONICAL, ...VARIANTS]) {
        const [got, want] = await Promise.all([app.inject(url), expected.inject(url)])
        expect({ url, status: got.statusCode, body: got.body }).toEqual({ url, status: want.statusCode, body: want.body })
      }
    })
  })

  it('on a case-insensitive router, /u/Alice and /u/alice (one route, params differing in case) are two pages', async () => {
    const app = await build(pathRoutes(true), { routerOptions: { caseSensitive: false } })
    const upper = await app.inject('/u/Alice')
    const lower = await app.inject('/u/alice')
    expect(upper.json().params).toEqual({ name: 'Alice' })
    expect(lower.json().params).toEqual({ name: 'alice' })
    expect(statusOf(lower)).toContain('stored')
  })

  it('router 404s are not cached pages of any route', async () => {
    const app = await build(pathRoutes(true))
    await app.inject('/api/me')
    const res = await app.inject('/api/me.css')
    expect(res.statusCode).toBe(404)
    expect(res.headers['cache-status']).toBeUndefined()
    expect(res.body).not.toContain('the account page')
  })
})
