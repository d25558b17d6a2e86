import { describe, expect, it } from 'vitest'
import {
  isHttpDate,
  parseHttpDate,
  MAX_VARY_HEADERS,
  normalizeVaryValue,
  originPolicy,
  parseAge,
  servesOnError,
  servesStale,
  variantKey,
  variantMatches,
  type OriginResponse,
} from '../../src/pagecache/origin-policy.js'
import { freshenedHeaders, originPage, originStorableHeaders } from '../../src/pagecache/origin-store.js'
import { foldedCacheControl, KEYED_ORIGIN } from '../../src/pagecache/policy.js'
import { byteRange, notModifiedSince } from '../../src/pagecache/respond.js'
import { resolveRouteConfig } from '../../src/pagecache/route-config.js'
import type { StoredPage } from '../../src/pagecache/store.js'
import { parseDictionary, targetedCacheControl } from '../../src/pagecache/targeted-fields.js'
import { invalidatedUris } from '../../src/pagecache/unsafe-invalidation.js'

const route = resolveRouteConfig('(GET /t)', { id: 't', followOrigin: true })
const decide = (headers: OriginResponse['headers'], more: Partial<OriginResponse> = {}, r = route) =>
  originPolicy(
    { route: r, keyed: KEYED_ORIGIN },
    { status: 200, headers, bodyBytes: 10, requestHeaders: {}, url: '/t', originEtag: typeof headers.etag === 'string', ...more },
    foldedCacheControl,
  )

describe('Age (RFC 9111 §5.1)', () => {
  it('takes the first integer of a list, keeps the integer of a member with parameters, and reads anything else as 0', () => {
    expect(parseAge('7200, 0')).toBe(7200)
    expect(parseAge('0, 7200')).toBe(0)
    expect(parseAge('7200;foo=bar')).toBe(7200)
    expect(parseAge(['30', '5'])).toBe(30)
    for (const bad of ['abc', '-7200', '7200.0', '', undefined]) expect(parseAge(bad), String(bad)).toBe(0)
  })
  it('a response whose Age exceeds its lifetime is not stored; a smaller Age shortens the lifetime', () => {
    expect(decide({ 'cache-control': 'max-age=3600', age: '7200, 0' })).toEqual({ ok: false, reason: 'origin-ttl' })
    expect(decide({ 'cache-control': 'max-age=3600', age: '600' })).toMatchObject({ ok: true, ttlMs: 3000_000, ageMs: 600_000 })
  })
  it('a page is stored as generated Age seconds ago, so the Age a hit sends adds the origin\'s Age and the resident time', () => {
    const d = decide({ 'cache-control': 'max-age=3600', age: '30' })
    if (!d.ok) throw new Error('not storable')
    const page = originPage({ kind: 'page', status: 200, headers: {}, body: Buffer.from('x'), etag: '"e"', tags: {}, renderMs: 1 }, d, 1_000_000)
    expect(page.storedAt).toBe(1_000_000 - 30_000)
    expect(page.staleAt).toBe(page.storedAt + 3600_000)
  })
})

describe('Date and Expires (RFC 9110 §5.6.7, RFC 9111 §5.3)', () => {
  it('accepts the three HTTP-date forms and nothing looser', () => {
    expect(isHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(true)
    expect(isHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(true)
    expect(isHttpDate('Sun Nov  6 08:49:37 1994')).toBe(true)
    expect(isHttpDate('sun, 06 NOV 1994 08:49:37 gmt')).toBe(true)
    for (const bad of ['Sun, 06 Nov 1994 08:49:37 UTC', 'Sun 06 Nov 1994 08:49:37 GMT', 'Sun, 06  Nov 1994 08:49:37 GMT', 'Sun, 06-Nov-1994 08:49:37 GMT', 'Sun, 06 Nov 1994 8:49:37 GMT', '0']) {
      expect(isHttpDate(bad), bad).toBe(false)
    }
  })
  it('reads a two-digit RFC 850 year as at most 50 years ahead', () => {
    const now = Date.parse('2026-01-01T00:00:00Z')
    expect(new Date(parseHttpDate('Thursday, 18-Aug-50 02:01:18 GMT', now) ?? 0).getUTCFullYear()).toBe(2050)
    expect(new Date(parseHttpDate('Thursday, 18-Aug-94 02:01:18 GMT', now) ?? 0).getUTCFullYear()).toBe(1994)
  })
  it('an invalid Expires means already stale: not stored without a validator, stored stale for revalidation with one', () => {
    expect(decide({ expires: 'Sun, 06 Nov 2094 08:49:37 UTC' })).toEqual({ ok: false, reason: 'origin-ttl' })
    expect(decide({ expires: 'Sun, 06 Nov 2094 08:49:37 UTC', etag: '"v1"' })).toMatchObject({ ok: true, ttlMs: 0 })
    expect(decide({ expires: new Date(Date.now() + 60_000).toUTCString() })).toMatchObject({ ok: true })
  })
  it('max-age wins over an invalid Expires', () => {
    expect(decide({ 'cache-control': 'max-age=60', expires: '0' })).toMatchObject({ ok: true, ttlMs: 60_000 })
  })
  it('keeps the origin\'s Date to replay on hits', () => {
    const date = 'Mon, 07 Dec 2026 00:14:30 GMT'
    expect(decide({ 'cache-control': 'max-age=60', date })).toMatchObject({ facts: { date } })
  })
})

describe('Connection (RFC 9111 §3.1)', () => {
  it('headers a Connection field names are not stored', () => {
    expect(originStorableHeaders({ connection: 'a, B', a: '1', b: '2', c: '3' })).toEqual({ c: '3' })
  })
})

describe('Vary secondary keys (RFC 9111 §4.1)', () => {
  it('a Vary on a header the route does not key on is stored with the request\'s normalized values', () => {
    const d = decide({ 'cache-control': 'max-age=60', vary: 'Accept-Language, Host' }, { requestHeaders: { 'accept-language': 'en-US,  fr ;q=0.5' } })
    expect(d).toMatchObject({ ok: true, facts: { vary: { 'accept-language': 'en-us,fr;q=0.5' } } })
  })
  it('Vary: * and more nominated headers than the bound are not stored', () => {
    expect(decide({ 'cache-control': 'max-age=60', vary: 'a, *' })).toEqual({ ok: false, reason: 'vary-star' })
    const many = Array.from({ length: MAX_VARY_HEADERS + 1 }, (_, i) => `x-h${i}`).join(', ')
    expect(decide({ 'cache-control': 'max-age=60', vary: many })).toEqual({ ok: false, reason: 'vary-bound' })
    expect(decide({ 'cache-control': 'max-age=60', vary: 'x-long' }, { requestHeaders: { 'x-long': 'a'.repeat(300) } })).toEqual({ ok: false, reason: 'vary-bound' })
  })
  it('matches requests by normalized value; an absent header is not an empty one', () => {
    expect(normalizeVaryValue(['en', 'fr'])).toBe(normalizeVaryValue('EN, fr'))
    expect(variantMatches({ 'accept-language': 'en' }, { 'accept-language': ' EN ' })).toBe(true)
    expect(variantMatches({ 'accept-language': 'en' }, { 'accept-language': 'fr' })).toBe(false)
    expect(variantMatches({ foo: '' }, {})).toBe(false)
  })
  it('gives each variant its own key under the primary one', () => {
    const primary = { route: 't', hash: 'ab' }
    const en = variantKey(primary, { 'accept-language': 'x' }, { 'accept-language': 'en' })
    expect(en).not.toEqual(variantKey(primary, { 'accept-language': 'x' }, { 'accept-language': 'fr' }))
    expect(en).toEqual(variantKey(primary, { 'accept-language': 'x' }, { 'accept-language': 'EN' }))
    expect(en.route).toBe('t')
  })
  it('a fixed-ttl route keeps refusing a Vary it does not key on', async () => {
    const { responsePolicy } = await import('../../src/pagecache/policy.js')
    const fixed = resolveRouteConfig('(GET /t)', { id: 't', ttl: 60 })
    expect(responsePolicy(fixed, { status: 200, headers: { vary: 'Accept-Language' }, bodyBytes: 1, requestHeaders: {}, url: '/t' })).toEqual({
      ok: false,
      reason: 'vary-unkeyed-accept-language',
    })
  })
})

describe('revalidation (RFC 9111 §4.2.4, §4.3)', () => {
  it('no-cache, must-revalidate, proxy-revalidate and s-maxage are never served stale; a page without them is, within the stale window', () => {
    for (const cc of ['no-cache', 'max-age=1, must-revalidate', 'max-age=1, proxy-revalidate', 's-maxage=1']) {
      const d = decide({ 'cache-control': cc, etag: '"v"' })
      expect(d, cc).toMatchObject({ ok: true, facts: { mustRevalidate: true } })
    }
    const page = { staleAt: 1000, origin: { etag: true, mustRevalidate: false, swrMs: 0, sieMs: 0 } }
    expect(servesStale(page, 0, 1000)).toBe(false)
    expect(servesStale(page, 500, 1400)).toBe(true)
    expect(servesStale({ ...page, origin: { ...page.origin, mustRevalidate: true } }, 500, 1400)).toBe(false)
  })
  it('a response without a validator and no lifetime is not kept; one with a validator is kept for revalidation', () => {
    expect(decide({ 'cache-control': 'no-cache' })).toEqual({ ok: false, reason: 'no-cache' })
    expect(decide({ 'cache-control': 'no-cache', 'last-modified': 'Sun, 06 Nov 1994 08:49:37 GMT' })).toMatchObject({ ok: true, ttlMs: 0 })
  })
  it('a 304 replaces the stored fields it carries, except Content-Length and what is never stored', () => {
    const stored = { headers: { 'test-header': 'A', 'content-type': 'text/plain', 'cache-control': 'max-age=1' }, etag: '"v1"', origin: { date: 'x' } } as unknown as StoredPage
    const fresh = freshenedHeaders(stored, { 'test-header': 'B', 'cache-control': 'max-age=60', 'content-length': '0', etag: '"v1"', date: 'Mon, 07 Dec 2026 00:14:30 GMT' })
    expect(fresh.kept).toEqual({ 'test-header': 'B', 'content-type': 'text/plain', 'cache-control': 'max-age=60' })
    expect(fresh.judged).toMatchObject({ 'cache-control': 'max-age=60', date: 'Mon, 07 Dec 2026 00:14:30 GMT', etag: '"v1"' })
  })
  it('If-Modified-Since is answered from the Last-Modified, or the Date when there is none', () => {
    const lm = { headers: { 'last-modified': 'Sun, 06 Nov 1994 08:49:37 GMT' } }
    expect(notModifiedSince(lm, 'Sun, 06 Nov 1994 08:49:37 GMT')).toBe(true)
    expect(notModifiedSince(lm, 'Sat, 05 Nov 1994 08:49:37 GMT')).toBe(false)
    expect(notModifiedSince({ headers: {}, origin: { date: 'Sun, 06 Nov 1994 08:49:37 GMT', etag: false, mustRevalidate: false, swrMs: 0, sieMs: 0 } }, 'Mon, 07 Nov 1994 08:49:37 GMT')).toBe(true)
    expect(notModifiedSince({ headers: {} }, 'Mon, 07 Nov 1994 08:49:37 GMT')).toBe(false)
  })
})

describe('stale-while-revalidate and stale-if-error (RFC 5861)', () => {
  it('reads both windows from the origin and keeps the page through them', () => {
    const d = decide({ 'cache-control': 'max-age=1, stale-while-revalidate=30, stale-if-error=60' })
    expect(d).toMatchObject({ ok: true, keepMs: 60_000, facts: { swrMs: 30_000, sieMs: 60_000 } })
  })
  it('serves stale within stale-while-revalidate, and in place of an error within stale-if-error', () => {
    const page = { staleAt: 1000, origin: { etag: false, mustRevalidate: false, swrMs: 100, sieMs: 500 } }
    expect(servesStale(page, 0, 1099)).toBe(true)
    expect(servesStale(page, 0, 1100)).toBe(false)
    expect(servesOnError(page, 1499)).toBe(true)
    expect(servesOnError(page, 1500)).toBe(false)
    expect(servesOnError({ staleAt: 1000 }, 1001)).toBe(false)
  })
})

describe('CDN-Cache-Control (RFC 9213)', () => {
  it('parses a Structured Fields Dictionary and refuses what is not one', () => {
    expect([...(parseDictionary('max-age=3600, foo;a=1, bar="x"') ?? [])].map(([k]) => k)).toEqual(['max-age', 'foo', 'bar'])
    for (const bad of ['max-age =100', 'max-age= 100', 'max-age=10000, &&&&&', 'MaX-aGe=1', 'a,']) expect(parseDictionary(bad), bad).toBeUndefined()
  })
  it('the first valid targeted field stands in for Cache-Control; an invalid one or a wrong type is ignored', () => {
    expect(targetedCacheControl(['cdn-cache-control'], { 'cdn-cache-control': 'max-age=60, private' })).toBe('max-age=60, private')
    expect(targetedCacheControl(['cdn-cache-control'], { 'cdn-cache-control': 'max-age="60"' })).toBeUndefined()
    expect(targetedCacheControl(['x-mine', 'cdn-cache-control'], { 'x-mine': 'no-store', 'cdn-cache-control': 'max-age=60' })).toBe('no-store')
    expect(targetedCacheControl([], { 'cdn-cache-control': 'max-age=60' })).toBeUndefined()
  })
  it('decides storing and freshness over Cache-Control and Expires', () => {
    expect(decide({ 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=600' })).toMatchObject({ ok: true, ttlMs: 600_000 })
    expect(decide({ 'cache-control': 'max-age=600', 'cdn-cache-control': 'no-store' })).toEqual({ ok: false, reason: 'no-store' })
    expect(decide({ 'cache-control': 'max-age=600', 'cdn-cache-control': 'private' })).toEqual({ ok: false, reason: 'private' })
    expect(decide({ 'cdn-cache-control': 'max-age=0', expires: new Date(Date.now() + 600_000).toUTCString() })).toEqual({ ok: false, reason: 'origin-ttl' })
    expect(decide({ 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=10000, &&&&&' })).toEqual({ ok: false, reason: 'no-store' })
  })
  it('targets are a route option: a route can name its own field or none', () => {
    const mine = resolveRouteConfig('(GET /t)', { id: 't', followOrigin: true, targets: ['X-Mine-Cache-Control'] })
    expect(mine.targets).toEqual(['x-mine-cache-control'])
    expect(decide({ 'cache-control': 'no-store', 'x-mine-cache-control': 'max-age=60' }, {}, mine)).toMatchObject({ ok: true })
    expect(decide({ 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=60' }, {}, mine)).toEqual({ ok: false, reason: 'no-store' })
  })
})

describe('statuses a followOrigin route never stores', () => {
  it('a 206 part or a 304 is never stored as the page, even when the route lists it', () => {
    const all = resolveRouteConfig('(GET /t)', { id: 't', followOrigin: true, statuses: [200, 206, 304] })
    expect(decide({ 'cache-control': 'max-age=60' }, { status: 206 }, all)).toEqual({ ok: false, reason: 'status-206' })
    expect(decide({ 'cache-control': 'max-age=60' }, { status: 304 }, all)).toEqual({ ok: false, reason: 'status-304' })
  })
})

describe('byte ranges (RFC 9110 §14)', () => {
  it('reads one range of a body, and leaves other forms to a full answer', () => {
    expect(byteRange('bytes=2-4', 10)).toEqual({ start: 2, end: 4 })
    expect(byteRange('bytes=2-', 10)).toEqual({ start: 2, end: 9 })
    expect(byteRange('bytes=-3', 10)).toEqual({ start: 7, end: 9 })
    expect(byteRange('bytes=5-100', 10)).toEqual({ start: 5, end: 9 })
    expect(byteRange('bytes=10-', 10)).toBe('unsatisfiable')
    for (const other of ['bytes=1-2,4-5', 'items=1-2', 'bytes=4-2', 'bytes=-']) expect(byteRange(other, 10), other).toBeUndefined()
  })
})

describe('invalidation by unsafe methods (RFC 9111 §4.4)', () => {
  const rules = { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false }
  const ex = { method: 'POST', url: '/a?x=1', host: 'Example.com', status: 200, location: undefined, contentLocation: undefined }
  it('a non-error response invalidates the target URI and the same-host Location and Content-Location', () => {
    expect(invalidatedUris({ ...ex, location: '/b', contentLocation: 'http://example.com/c' }, rules)).toEqual([
      { host: 'example.com', path: '/a' },
      { host: 'example.com', path: '/b' },
      { host: 'example.com', path: '/c' },
    ])
  })
  it('never for a safe method, an error status, or a URI on another host', () => {
    expect(invalidatedUris({ ...ex, method: 'GET' }, rules)).toEqual([])
    expect(invalidatedUris({ ...ex, status: 500 }, rules)).toEqual([])
    expect(invalidatedUris({ ...ex, status: 404 }, rules)).toEqual([])
    expect(invalidatedUris({ ...ex, location: 'http://other.example/b' }, rules)).toEqual([{ host: 'example.com', path: '/a' }])
    expect(invalidatedUris({ ...ex, method: 'M-SEARCH' }, rules)).toHaveLength(1)
  })
})
