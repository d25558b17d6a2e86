import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { foldedCacheControl } from '../../src/pagecache/policy.js'
import { STORES, appsFor, statusOf } from './apps.js'
import { listening, rawGet } from './wire.js'

type HeaderValue = string | string[]

/**
 * A page that shows who asked (as a personal page does), with the response
 * headers the handler sets; the asker comes in a header the route does not key on.
 */
function personalPage(headers: Record<string, HeaderValue>, cutover: Record<string, unknown> = { ttl: 60 }) {
  return (app: FastifyInstance): void => {
    let renders = 0
    app.get('/account', { config: { cutover: { id: 'account', ...cutover } } }, async (req, reply) => {
      for (const [name, value] of Object.entries(headers)) reply.header(name, value)
      return { user: req.headers['x-user'] ?? null, renders: ++renders }
    })
  }
}

const NOT_SHARED: Array<[string, HeaderValue]> = [
  ['Private, max-age=60', 'Private, max-age=60'],
  ['PRIVATE', 'PRIVATE, max-age=60'],
  ['No-Store', 'No-Store'],
  ['NO-STORE', 'public, NO-STORE, max-age=60'],
  ['No-Cache', 'No-Cache, max-age=60'],
  ['private="set-cookie" in capitals', 'max-age=60, PRIVATE="Set-Cookie"'],
  ['an array [public, private]', ['public, max-age=60', 'private']],
  ['an array [max-age=60, No-Store]', ['max-age=60', 'No-Store']],
]

describe.each(STORES)('response header case and shape ($name)', (store) => {
  const build = appsFor(store)

  describe.each([
    ['a fixed-ttl route', { ttl: 60 }],
    ['a followOrigin route', { followOrigin: true }],
  ])('on %s', (_label, cutover) => {
    it.each(NOT_SHARED)('Cache-Control %s keeps Alice\'s page from Bob', async (_what, cacheControl) => {
      const app = await build(personalPage({ 'cache-control': cacheControl }, cutover))
      const alice = await app.inject({ url: '/account', headers: { 'x-user': 'alice' } })
      expect(alice.json().user).toBe('alice')
      expect(statusOf(alice)).not.toContain('stored')
      const bob = await app.inject({ url: '/account', headers: { 'x-user': 'bob' } })
      expect(bob.json()).toEqual({ user: 'bob', renders: 2 })
      expect(statusOf(bob)).not.toContain('hit')
    })

    it('Cache-Control set as an array of allowing directives is stored like its one-line form', async () => {
      const app = await build(personalPage({ 'cache-control': ['public', 'max-age=60'] }, cutover))
      expect(statusOf(await app.inject('/account'))).toContain('stored')
      expect(statusOf(await app.inject('/account'))).toContain('hit')
    })
  })

  it('a Cache-Control array does not strand the requests waiting on its render (no leader-timeout)', async () => {
    let renders = 0
    const app = await build((a) => {
      a.get('/slow', { config: { cutover: { id: 'slow', ttl: 60 } } }, async (_req, reply) => {
        renders++
        await new Promise((r) => setTimeout(r, 100))
        reply.header('cache-control', ['no-cache', 'max-age=60'])
        return { renders }
      })
    })
    const started = Date.now()
    const all = await Promise.all(Array.from({ length: 5 }, () => app.inject('/slow')))
    expect(Date.now() - started).toBeLessThan(3000)
    for (const res of all) {
      expect(res.statusCode).toBe(200)
      expect(statusOf(res)).not.toContain('leader-timeout')
    }
  })

  it('an ETag set as an array is replaced by cutover\'s own and every hit is a 200 or a 304', async () => {
    const app = await build(personalPage({ etag: ['"a"', '"b"'] }))
    const first = await app.inject('/account')
    expect(statusOf(first)).toContain('stored')
    const hit = await app.inject('/account')
    expect(hit.statusCode).toBe(200)
    expect(typeof hit.headers.etag).toBe('string')
    const revalidated = await app.inject({ url: '/account', headers: { 'if-none-match': String(hit.headers.etag) } })
    expect(revalidated.statusCode).toBe(304)
  })

  it('Set-Cookie written under a capitalized name on the raw response is never stored', async () => {
    const app = await build((a) => {
      a.get('/raw', { config: { cutover: { id: 'raw', ttl: 60 } } }, async (_req, reply) => {
        reply.raw.setHeader('SET-COOKIE', 'session=victim')
        return 'page'
      })
    })
    expect(statusOf(await app.inject('/raw'))).toContain('set-cookie')
    const second = await app.inject('/raw')
    expect(second.headers['set-cookie']).toBe('session=victim')
    expect(statusOf(second)).not.toContain('hit')
  })

  describe('request credentials in any case and shape, over a real socket', () => {
    const shapes: Array<[string, Array<[string, string]>]> = [
      ['AUTHORIZATION in capitals', [['AUTHORIZATION', 'Bearer alice']]],
      ['authorization with an empty value', [['authorization', '']]],
      ['COOKIE in capitals', [['COOKIE', 'sid=alice']]],
      ['two Cookie headers', [['Cookie', 'a=1'], ['cookie', 'sid=alice']]],
    ]

    it.each(shapes)('%s: the request bypasses the cache and stores nothing', async (_what, lines) => {
      const app = await build(personalPage({}))
      const port = await listening(app)
      const asked = await rawGet(port, '/account', [['Host', 'shop.example'], ['X-User', 'alice'], ...lines])
      expect(asked.headers['cache-status']).toMatch(/bypass; detail=(authorization|cookie)/)
      const other = await rawGet(port, '/account', [['Host', 'shop.example'], ['X-User', 'bob']])
      expect(JSON.parse(other.body)).toEqual({ user: 'bob', renders: 2 })
    })
  })
})

describe('foldedCacheControl', () => {
  it('lower-cases directive names and keeps values, quoted lists included', () => {
    expect(foldedCacheControl('Private="Set-Cookie, X-Token", MAX-AGE=60, No-Store')).toBe('private="Set-Cookie, X-Token", max-age=60, no-store')
  })
})
