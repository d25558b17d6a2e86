import { describe, expect, it } from 'vitest'
import { pageStanding, requestPolicy, responsePolicy, shouldRefreshEarly, standingOf, tagVerdict, type ResponseFacts } from '../../src/pagecache/policy.js'
import { resolveRouteConfig } from '../../src/pagecache/route-config.js'

const route = resolveRouteConfig('(GET /t)', { id: 't', ttl: 30, stale: 60 })
const res = (over: Partial<ResponseFacts> = {}): ResponseFacts => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  bodyBytes: 10,
  requestHeaders: {},
  url: '/t',
  ...over,
})

describe('requestPolicy', () => {
  it('passes GET and HEAD without credentials', () => {
    expect(requestPolicy(route, { method: 'GET', url: '/', headers: {} })).toEqual({ ok: true })
    expect(requestPolicy(route, { method: 'HEAD', url: '/', headers: {} })).toEqual({ ok: true })
  })
  it('refuses other methods and credentials unless the route keys on the user', () => {
    expect(requestPolicy(route, { method: 'POST', url: '/', headers: {} })).toEqual({ ok: false, reason: 'method' })
    expect(requestPolicy(route, { method: 'GET', url: '/', headers: { authorization: 'Bearer x' } })).toEqual({ ok: false, reason: 'authorization' })
    expect(requestPolicy(route, { method: 'GET', url: '/', headers: { cookie: 'a=1' } })).toEqual({ ok: false, reason: 'cookie' })
    const perUser = resolveRouteConfig('(GET /t)', { id: 't', ttl: 1, user: () => 'u' })
    expect(requestPolicy(perUser, { method: 'GET', url: '/', headers: { authorization: 'x', cookie: 'a' } }).ok).toBe(true)
    const byCookie = resolveRouteConfig('(GET /t)', { id: 't', ttl: 1, vary: ['Cookie'] })
    expect(requestPolicy(byCookie, { method: 'GET', url: '/', headers: { cookie: 'a' } }).ok).toBe(true)
    expect(requestPolicy(byCookie, { method: 'GET', url: '/', headers: { authorization: 'a' } }).ok).toBe(false)
  })
})

describe('responsePolicy', () => {
  it('stores a plain 200 for the route ttl and stale window', () => {
    expect(responsePolicy(route, res())).toEqual({ ok: true, ttlMs: 30_000, staleMs: 60_000 })
  })
  it.each([
    [{ 'set-cookie': 'a=1' }, 'set-cookie'],
    [{ 'set-cookie': 'a=1', 'cache-control': 'public, max-age=60' }, 'set-cookie'],
    [{ 'cache-control': 'private' }, 'private'],
    [{ 'cache-control': 'no-store' }, 'no-store'],
    [{ 'cache-control': 'no-cache' }, 'no-cache'],
    [{ vary: '*' }, 'vary-star'],
    [{ vary: 'Accept-Encoding' }, 'vary-unkeyed-accept-encoding'],
  ])('refuses %j (%s)', (headers, reason) => {
    expect(responsePolicy(route, res({ headers }))).toEqual({ ok: false, reason })
  })
  it('accepts a Vary the route keys on', () => {
    const r = resolveRouteConfig('(GET /t)', { id: 't', ttl: 5, vary: ['accept-language'] })
    expect(responsePolicy(r, res({ headers: { vary: 'Accept-Language' } })).ok).toBe(true)
  })
  it('refuses statuses the route does not list, and bodies over maxBytes', () => {
    expect(responsePolicy(route, res({ status: 404 }))).toEqual({ ok: false, reason: 'status-404' })
    expect(responsePolicy(route, res({ status: 500 }))).toEqual({ ok: false, reason: 'status-500' })
    const r = resolveRouteConfig('(GET /t)', { id: 't', ttl: 5, statuses: [200, 404], maxBytes: 5 })
    expect(responsePolicy(r, res({ status: 404, bodyBytes: 5 })).ok).toBe(true)
    expect(responsePolicy(r, res({ bodyBytes: 6 }))).toEqual({ ok: false, reason: 'too-large' })
  })
  it('follows the origin s-maxage / max-age when the route asks to, and refuses without them', () => {
    const r = resolveRouteConfig('(GET /t)', { id: 't', followOrigin: true, stale: 1 })
    expect(responsePolicy(r, res({ headers: { 'cache-control': 'public, max-age=10, s-maxage=20' } }))).toEqual({ ok: true, ttlMs: 20_000, staleMs: 1000 })
    expect(responsePolicy(r, res({ headers: { 'cache-control': 'max-age=7' } }))).toEqual({ ok: true, ttlMs: 7000, staleMs: 1000 })
    expect(responsePolicy(r, res())).toEqual({ ok: false, reason: 'origin-ttl' })
  })
})

describe('shouldRefreshEarly (XFetch)', () => {
  const page = { staleAt: 10_000, renderMs: 100 }
  it('never refreshes long before expiry and always after it', () => {
    expect(shouldRefreshEarly(page, 0, 1, () => 0.5)).toBe(false)
    expect(shouldRefreshEarly(page, 10_000, 1, () => 0.999)).toBe(true)
  })
  it('refreshes near expiry with a probability that grows as expiry nears', () => {
    let seed = 1
    const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
    const rate = (now: number): number => {
      let n = 0
      for (let i = 0; i < 2000; i++) if (shouldRefreshEarly(page, now, 1, random)) n++
      return n / 2000
    }
    const far = rate(9_500)
    const near = rate(9_950)
    expect(far).toBeLessThan(near)
    expect(near).toBeGreaterThan(0.3)
    expect(far).toBeLessThan(0.05)
  })
  it('beta 0 turns early refresh off', () => {
    expect(shouldRefreshEarly(page, 9_999, 0, () => 0.0001)).toBe(false)
  })
})

describe('responsePolicy with followOrigin', () => {
  const r = resolveRouteConfig('(GET /t)', { id: 't', followOrigin: true })
  it('takes the TTL from the headers alone, not from how long ago the check began (a slow check shortened the TTL)', () => {
    const now = Date.now
    let t = 1_000_000
    Date.now = () => (t += 500)
    try {
      expect(responsePolicy(r, res({ headers: { 'cache-control': 's-maxage=20' } }))).toMatchObject({ ttlMs: 20_000 })
    } finally {
      Date.now = now
    }
  })
  it('subtracts the Age the origin reports and does not count stale-while-revalidate as fresh', () => {
    expect(responsePolicy(r, res({ headers: { 'cache-control': 'max-age=30', age: '10' } }))).toMatchObject({ ttlMs: 20_000 })
    expect(responsePolicy(r, res({ headers: { 'cache-control': 'max-age=30, stale-while-revalidate=60' } }))).toMatchObject({ ttlMs: 30_000 })
    expect(responsePolicy(r, res({ headers: { 'cache-control': 'max-age=30', age: '40' } }))).toEqual({ ok: false, reason: 'origin-ttl' })
  })
  it('counts an origin lifetime past 2^31 seconds as 2^31 (RFC 9111 §1.2.2), so every store can keep the page', () => {
    for (const cc of ['s-maxage=99999999999999999999999', 'max-age=2147483649']) {
      expect(responsePolicy(r, res({ headers: { 'cache-control': cc } })), cc).toMatchObject({ ok: true, ttlMs: 2 ** 31 * 1000 })
    }
    expect(responsePolicy(r, res({ headers: { 'cache-control': 'max-age=2147483647' } }))).toMatchObject({ ttlMs: 2147483647_000 })
  })
})

describe('pageStanding', () => {
  const page = { tags: { a: 1, b: 0 }, staleAt: 100, deleteAt: 200 }
  const same = { a: { version: 1, hard: 0 }, b: { version: 0, hard: 0 } }
  it('follows staleAt and deleteAt while no tag moved', () => {
    expect(pageStanding(page, same, 0, 50)).toBe('fresh')
    expect(pageStanding(page, same, 0, 150)).toBe('stale')
    expect(pageStanding(page, same, 0, 200)).toBe('gone')
  })
  it('a soft purge after the render makes the page stale only where the route has a stale window', () => {
    const soft = { ...same, b: { version: 1, hard: 0 } }
    expect(pageStanding(page, soft, 1000, 50)).toBe('stale')
    expect(pageStanding(page, soft, 0, 50)).toBe('gone')
  })
  it('a hard purge after the render makes it gone; one before the render does not', () => {
    expect(pageStanding(page, { ...same, a: { version: 2, hard: 2 } }, 1000, 50)).toBe('gone')
    expect(pageStanding(page, { ...same, a: { version: 1, hard: 1 } }, 1000, 50)).toBe('fresh')
  })
})

describe('tagVerdict and standingOf (pageStanding in two steps, so a verdict can be kept)', () => {
  const tags = { a: 1, b: 0, c: 3 }
  it('reads a tag absent from the states as never purged', () => {
    expect(tagVerdict(tags, {})).toBe('current')
    expect(tagVerdict(tags, { a: { version: 1, hard: 0 } })).toBe('current')
  })
  it('a hard purge of any tag outweighs a soft purge of an earlier one', () => {
    expect(tagVerdict(tags, { a: { version: 2, hard: 0 }, c: { version: 4, hard: 4 } })).toBe('hard')
    expect(tagVerdict(tags, { a: { version: 2, hard: 0 } })).toBe('soft')
  })
  it('does not read states of tags the page was not built under', () => {
    expect(tagVerdict(tags, { d: { version: 9, hard: 9 } })).toBe('current')
  })
  it('gives what pageStanding gives', () => {
    const page = { tags, staleAt: 100, deleteAt: 200 }
    const cases = [{}, { b: { version: 1, hard: 0 } }, { c: { version: 5, hard: 5 } }]
    for (const states of cases) {
      for (const [window, now] of [[0, 50], [1000, 50], [0, 150], [1000, 250]] as const) {
        expect(standingOf(tagVerdict(tags, states), page, window, now)).toBe(pageStanding(page, states, window, now))
      }
    }
  })
})
