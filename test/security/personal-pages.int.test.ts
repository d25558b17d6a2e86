import type { FastifyInstance, FastifyRequest } from 'fastify'
import CachePolicy from 'http-cache-semantics'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

const userFromCookie = (req: FastifyRequest): string | undefined => /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1]

type Res = { statusCode: number; headers: Record<string, unknown>; json(): unknown }

/**
 * A personal page whose handler wrongly says any cache may keep it: the
 * headers a CDN in front would otherwise act on. `stale` and `followOrigin`
 * pass through to the route; the body counts renders per user.
 */
function dashboard(headers: Record<string, string>, route: Record<string, unknown> = {}) {
  return (app: FastifyInstance): void => {
    const renders = new Map<string, number>()
    app.get('/dashboard', { config: { cutover: { id: 'dashboard', ttl: 60, user: userFromCookie, ...route } } }, async (req, reply) => {
      const user = userFromCookie(req) ?? 'nobody'
      renders.set(user, (renders.get(user) ?? 0) + 1)
      reply.headers(headers)
      return { user, secret: `${user}-secret`, renders: renders.get(user) }
    })
  }
}

const as = (user: string, extra: Record<string, string> = {}) => ({ url: '/dashboard', headers: { cookie: `session=${user}`, ...extra } })

/** Would a shared cache (a CDN, a proxy) in front store this response? Judged by http-cache-semantics as one. */
function sharedCacheWouldStore(res: Res, requestHeaders: Record<string, string>): boolean {
  const headers = Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]))
  const policy = new CachePolicy(
    { url: '/dashboard', method: 'GET', headers: requestHeaders },
    { status: res.statusCode === 304 ? 200 : res.statusCode, headers },
    { shared: true },
  )
  return policy.storable()
}

function expectPersonal(res: Res, user: string): void {
  const cc = String(res.headers['cache-control'])
  expect(cc.split(',')[0]).toBe('private')
  expect(cc).not.toMatch(/public|s-maxage|proxy-revalidate/)
  expect(String(res.headers.vary)).toMatch(/Cookie/)
  expect(String(res.headers.vary)).toMatch(/Authorization/)
  expect(sharedCacheWouldStore(res, { cookie: `session=${user}` })).toBe(false)
}

describe.each(STORES)('pages of a route keyed on the user, seen by a shared cache downstream ($name)', (store) => {
  const build = appsFor(store)

  it('go out private on the miss that stores them and on every hit, while cutover still stores and serves them', async () => {
    const app = await build(dashboard({ 'cache-control': 'public, max-age=60' }))
    const miss = await app.inject(as('alice'))
    expect(statusOf(miss)).toBe('cutover; fwd=miss; stored')
    expectPersonal(miss, 'alice')
    // The browser's own copy keeps the lifetime the origin gave every cache (RFC 9111 §5.2.2.7).
    expect(miss.headers['cache-control']).toBe('private, max-age=60')

    const hit = await app.inject(as('alice'))
    expect(statusOf(hit)).toMatch(/^cutover; hit/)
    expect(hit.json()).toEqual({ user: 'alice', secret: 'alice-secret', renders: 1 })
    expectPersonal(hit, 'alice')
    expect(hit.headers['cache-control']).toBe('private, max-age=60')

    const bob = await app.inject(as('bob'))
    expect(bob.json()).toMatchObject({ user: 'bob', renders: 1 })
    expectPersonal(bob, 'bob')
  })

  it('answer a matching If-None-Match with a private 304', async () => {
    const app = await build(dashboard({ 'cache-control': 'public, s-maxage=300, proxy-revalidate' }))
    const first = await app.inject(as('alice'))
    const etag = String(first.headers.etag)
    const notModified = await app.inject(as('alice', { 'if-none-match': etag }))
    expect(notModified.statusCode).toBe(304)
    expect(notModified.headers['cache-control']).toBe('private')
    expectPersonal(notModified, 'alice')
    // Bob revalidating Alice's validator gets his own page, not a 304.
    const bob = await app.inject(as('bob', { 'if-none-match': etag }))
    expect(bob.statusCode).toBe(200)
    expect(bob.json()).toMatchObject({ user: 'bob' })
  })

  it('go out private when served stale, and without any Cache-Control from the handler', async () => {
    const app = await build(dashboard({}, { ttl: 0.05, stale: 30 }))
    expectPersonal(await app.inject(as('alice')), 'alice')
    await new Promise((resolve) => setTimeout(resolve, 80))
    const stale = await app.inject(as('alice'))
    expect(statusOf(stale)).toMatch(/fwd=stale/)
    expect(stale.headers['cache-control']).toBe('private')
    expectPersonal(stale, 'alice')
  })

  it('keep the handler\'s s-maxage for cutover\'s own copy (followOrigin) but never send it', async () => {
    const app = await build(dashboard({ 'cache-control': 'public, max-age=30, s-maxage=300' }, { ttl: undefined, followOrigin: true }))
    const miss = await app.inject(as('alice'))
    expect(statusOf(miss)).toBe('cutover; fwd=miss; stored')
    expect(miss.headers['cache-control']).toBe('private, max-age=30')
    const hit = await app.inject(as('alice'))
    // The stored copy still carries s-maxage: its lifetime is 300 s, not the 30 s the client is given.
    expect(statusOf(hit)).toMatch(/^cutover; hit; ttl=(299|300)$/)
    expect(hit.headers['cache-control']).toBe('private, max-age=30')
  })

  it('merge the credentials into the handler\'s Vary and leave Vary: * alone', async () => {
    const app = await build(dashboard({ vary: 'Accept-Language' }, { vary: ['accept-language'] }))
    await app.inject(as('alice'))
    const hit = await app.inject(as('alice'))
    expect(statusOf(hit)).toMatch(/hit/)
    expect(hit.headers.vary).toBe('Accept-Language, Authorization, Cookie')

    const star = await build(dashboard({ vary: '*' }))
    const res = await star.inject(as('alice'))
    expect(statusOf(res)).toContain('vary-star')
    expect(res.headers.vary).toBe('*')
    expect(res.headers['cache-control']).toBe('private')
  })

  it('go out private to requests that wait on another\'s render, and when the page is not stored', async () => {
    const app = await build(dashboard({ 'cache-control': 'public, max-age=60' }))
    const both = await Promise.all([app.inject(as('alice')), app.inject(as('alice'))])
    expect(both.map(statusOf).sort()).toEqual(['cutover; fwd=miss; stored', 'cutover; hit; ttl=60; detail=coalesced'])
    for (const res of both) expectPersonal(res, 'alice')

    const unstorable = await build(dashboard({ 'cache-control': 'public, max-age=60', 'set-cookie': 'seen=1' }))
    const res = await unstorable.inject(as('alice'))
    expect(statusOf(res)).toContain('detail=set-cookie')
    expectPersonal(res, 'alice')
    const pass = await unstorable.inject(as('alice'))
    expect(statusOf(pass)).toContain('bypass; detail=pass')
    expectPersonal(pass, 'alice')
  })

  it('answer HEAD from the stored page, private too', async () => {
    const app = await build(dashboard({ 'cache-control': 'public, max-age=60' }))
    await app.inject(as('alice'))
    const head = await app.inject({ ...as('alice'), method: 'HEAD' })
    expect(statusOf(head)).toMatch(/hit/)
    expectPersonal(head, 'alice')
  })

  it('leave the handler\'s headers alone when the request names no user, and on routes not keyed on the user', async () => {
    const app = await build((a) => {
      dashboard({ 'cache-control': 'public, max-age=60' })(a)
      a.get('/shared', { config: { cutover: { id: 'shared', ttl: 60 } } }, async (_req, reply) => {
        reply.header('cache-control', 'public, max-age=60')
        return { shared: true }
      })
    })
    const anonymous = await app.inject('/dashboard')
    expect(statusOf(anonymous)).toContain('detail=no-user')
    expect(anonymous.headers['cache-control']).toBe('public, max-age=60')
    await app.inject('/shared')
    const shared = await app.inject('/shared')
    expect(statusOf(shared)).toMatch(/hit/)
    expect(shared.headers['cache-control']).toBe('public, max-age=60')
    expect(shared.headers.vary).toBeUndefined()
  })
})
