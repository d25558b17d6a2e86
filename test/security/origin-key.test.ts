import { describe, expect, it } from 'vitest'
import { pageKeyHash, type KeyInput } from '../../src/pagecache/key.js'
import { requestPolicy } from '../../src/pagecache/policy.js'
import { resolveRouteConfig } from '../../src/pagecache/route-config.js'

const base: KeyInput = {
  routeId: 'home',
  url: '/home',
  query: {},
  queryAllow: true,
  headers: { host: 'shop.example' },
  vary: [],
  rules: { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
}
const keyWith = (headers: KeyInput['headers'], vary: string[] = []): string => pageKeyHash({ ...base, headers, vary })

describe('origin headers in the key', () => {
  it('a forged Host, X-Forwarded-Host or X-Forwarded-Proto gets its own key, never the real host\'s', () => {
    const real = keyWith({ host: 'shop.example' })
    expect(keyWith({ host: 'evil.example' })).not.toBe(real)
    expect(keyWith({ host: 'shop.example', 'x-forwarded-host': 'evil.example' })).not.toBe(real)
    expect(keyWith({ host: 'shop.example', 'x-forwarded-proto': 'http' })).not.toBe(real)
    expect(keyWith({ host: 'shop.example', 'x-forwarded-prefix': '/evil' })).not.toBe(real)
    // HTTP/2 may name the host only in :authority (Fastify's request.host falls back to it)
    expect(keyWith({ ':authority': 'evil.example' })).not.toBe(keyWith({ ':authority': 'shop.example' }))
  })

  it('host names differing only in case share a key (DNS names are case-insensitive)', () => {
    expect(keyWith({ host: 'SHOP.example' })).toBe(keyWith({ host: 'shop.example' }))
    expect(keyWith({ host: 'a', 'x-forwarded-host': 'Shop.Example' })).toBe(keyWith({ host: 'a', 'x-forwarded-host': 'shop.example' }))
  })

  it('Forwarded keys on host and proto but not on the per-client for= (a proxy adding it must not give every client an entry)', () => {
    const a = keyWith({ host: 'x', forwarded: 'for=10.0.0.1;host=shop.example;proto=https' })
    expect(keyWith({ host: 'x', forwarded: 'for="[2001:db8::1]:4711";host=shop.example;proto=https' })).toBe(a)
    expect(keyWith({ host: 'x', forwarded: 'for=10.0.0.1;host=evil.example;proto=https' })).not.toBe(a)
    expect(keyWith({ host: 'x', forwarded: 'for=10.0.0.1;host=shop.example;proto=http' })).not.toBe(a)
  })

  it('an origin header named in vary is keyed once, by its vary entry', () => {
    expect(keyWith({ host: 'h', 'x-forwarded-host': 'a' }, ['x-forwarded-host'])).not.toBe(keyWith({ host: 'h', 'x-forwarded-host': 'b' }, ['x-forwarded-host']))
  })
})

describe('request-rewriting headers', () => {
  const route = resolveRouteConfig('(GET /home)', { id: 'home', ttl: 1 })
  const keyed = resolveRouteConfig('(GET /home)', { id: 'home', ttl: 1, vary: ['X-HTTP-Method-Override'] })

  it('bypass a route that does not key on them, with a reason naming the header', () => {
    expect(requestPolicy(route, { method: 'GET', url: '/', headers: { 'x-http-method-override': 'DELETE' } })).toEqual({
      ok: false,
      reason: 'override-header-x-http-method-override',
    })
    expect(requestPolicy(route, { method: 'GET', url: '/', headers: { 'x-original-url': '' } })).toMatchObject({ ok: false })
  })

  it('are allowed where the route keys on them', () => {
    expect(requestPolicy(keyed, { method: 'GET', url: '/', headers: { 'x-http-method-override': 'DELETE' } })).toEqual({ ok: true })
  })
})
