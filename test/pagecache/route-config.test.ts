import { describe, expect, it } from 'vitest'
import { resolveRouteConfig } from '../../src/pagecache/route-config.js'
import { resolveOptions } from '../../src/pagecache/options.js'

const bad = (raw: unknown): unknown => {
  try {
    resolveRouteConfig('(GET /p)', raw)
  } catch (err) {
    return { code: (err as { code: string }).code, message: (err as Error).message }
  }
  return 'no error'
}

describe('resolveRouteConfig', () => {
  it('merges over the defaults and freezes the result', () => {
    const c = resolveRouteConfig('(GET /p)', { id: 'products.list', ttl: 30, vary: ['Accept-Language'] })
    expect(c).toMatchObject({ id: 'products.list', ttlMs: 30_000, staleMs: 0, query: true, maxBytes: 1_048_576, mode: 'on', vary: ['accept-language'] })
    expect([...c.statuses]).toEqual([200])
    expect(Object.isFrozen(c)).toBe(true)
  })
  it('names the route and the option in errors', () => {
    expect(bad({ id: 'products.list', ttl: '30s' })).toEqual({
      code: 'CUTOVER_ERR_ROUTE_CONFIG_INVALID',
      message: 'expected route "products.list" (GET /p) option ttl to be a positive number of seconds, got "30s"',
    })
  })
  it.each([
    [{ ttl: 1 }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /option id/],
    [{ id: 'a b', ttl: 1 }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /option id/],
    [{ id: 'a' }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /ttl/],
    [{ id: 'a', ttl: 0 }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /ttl/],
    [{ id: 'a', ttl: 1, stale: -1 }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /stale/],
    [{ id: 'a', ttl: 1, tags: 'x' }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /tags/],
    [{ id: 'a', ttl: 1, vary: ['bad header'] }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /vary/],
    [{ id: 'a', ttl: 1, query: 'page' }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /query/],
    [{ id: 'a', ttl: 1, statuses: [99] }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /statuses/],
    [{ id: 'a', ttl: 1, statuses: [] }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /statuses/],
    [{ id: 'a', ttl: 1, maxBytes: 1.5 }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /maxBytes/],
    [{ id: 'a', ttl: 1, user: 'me' }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /user/],
    [{ id: 'a', ttl: 1, mode: 'maybe' }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /mode/],
    [{ id: 'a', ttl: 1, handler: {} }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /option handler to be a function/],
    [{ id: 'a', ttl: 1, followOrigin: 'yes' }, 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /followOrigin/],
    [{ id: 'a', ttl: 1, tll: 2 }, 'CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN', /"tll"/],
    ['yes', 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', /object or false/],
  ])('rejects %j', (raw, code, message) => {
    const e = bad(raw) as { code: string; message: string }
    expect(e.code).toBe(code)
    expect(e.message).toMatch(message)
  })
  it.each([
    [{ id: 'a', ttl: 1e16 }, /option ttl to be at most 2147483648 seconds \(2\^31, RFC 9111 §1.2.2\), got 10000000000000000$/],
    [{ id: 'a', ttl: 1e308 }, /option ttl .* got 1e\+308$/],
    [{ id: 'a', ttl: 2 ** 31 + 1 }, /option ttl .* got 2147483649$/],
    [{ id: 'a', ttl: 1, stale: 1e16 }, /option stale to be at most 2147483648 seconds .* got 10000000000000000$/],
  ])('a huge finite lifetime no store can keep is refused at registration: %j', (raw, message) => {
    const e = bad(raw) as { code: string; message: string }
    expect(e.code).toBe('CUTOVER_ERR_ROUTE_CONFIG_INVALID')
    expect(e.message).toMatch(message)
  })
  it('accepts ttl and stale of exactly 2^31 seconds', () => {
    const c = resolveRouteConfig('(GET /p)', { id: 'a', ttl: 2 ** 31, stale: 2 ** 31 })
    expect(c.ttlMs).toBe(2 ** 31 * 1000)
    expect(c.staleMs).toBe(2 ** 31 * 1000)
  })
  it.each([
    [{ id: 'a', ttl: NaN }, /option ttl .*, got NaN$/],
    [{ id: 'a', ttl: Infinity }, /option ttl .*, got Infinity$/],
    [{ id: 'a', ttl: 1, stale: -Infinity }, /option stale .*, got -Infinity$/],
    [{ id: 'a', ttl: 1, statuses: [200, NaN] }, /option statuses .*, got \[ 200, NaN \]$/],
    [{ id: 'a', ttl: 10n }, /option ttl .*, got 10n$/],
    [{ id: 'a', ttl: 1, maxBytes: 2n }, /option maxBytes .*, got 2n$/],
  ])('errors name non-JSON values as they are (NaN, not null; a bigint is no TypeError): %s', (raw, message) => {
    const e = bad(raw) as { code: string; message: string }
    expect(e.code).toBe('CUTOVER_ERR_ROUTE_CONFIG_INVALID')
    expect(e.message).toMatch(message)
  })
  it('refuses a static tag starting with "@" (cutover\'s own, such as another route\'s @route tag)', () => {
    for (const tags of [['@route:other'], ['products', '@x']]) {
      const e = bad({ id: 'a', ttl: 1, tags }) as { code: string; message: string }
      expect(e.code).toBe('CUTOVER_ERR_ROUTE_CONFIG_INVALID')
      expect(e.message).toMatch(/option tags not to start with "@"/)
    }
    expect(resolveRouteConfig('(GET /p)', { id: 'a', ttl: 1, tags: ['route:other', 'a@b'] }).staticTags).toEqual(['route:other', 'a@b'])
  })
  it('holds maxBytes to the page store\'s bound: an explicit one above it is refused, the default is lowered to it', () => {
    const limits = { maxBodyBytes: 500_000, maxBodyBytesSource: 'what a read within timeout 50 ms can carry' }
    expect(resolveRouteConfig('(GET /p)', { id: 'a', ttl: 1 }, limits).maxBytes).toBe(500_000)
    expect(resolveRouteConfig('(GET /p)', { id: 'a', ttl: 1, maxBytes: 500_000 }, limits).maxBytes).toBe(500_000)
    expect(resolveRouteConfig('(GET /p)', { id: 'a', ttl: 1 }, { maxBodyBytes: 8 << 20 }).maxBytes).toBe(1_048_576)
    expect(() => resolveRouteConfig('(GET /p)', { id: 'a', ttl: 1, maxBytes: 500_001 }, limits)).toThrow(
      'expected route "a" (GET /p) option maxBytes to be at most 500000 (what a read within timeout 50 ms can carry), got 500001',
    )
  })
  it('accepts followOrigin without ttl and tags as a function', () => {
    const c = resolveRouteConfig('(GET /p)', { id: 'a', followOrigin: true, tags: () => ['x'] })
    expect(c.ttlMs).toBeUndefined()
    expect(typeof c.tagsFn).toBe('function')
  })
})

describe('resolveOptions', () => {
  it('applies defaults and freezes', () => {
    const o = resolveOptions(undefined)
    expect(o).toMatchObject({ prefix: 'cutover', timeoutMs: 100, passTtlMs: 10_000, memory: { maxBytes: 64 * 1024 * 1024 } })
    expect(Object.isFrozen(o)).toBe(true)
  })
  it.each([
    [{ prefx: 'x' }, 'CUTOVER_ERR_OPTIONS_UNKNOWN'],
    [{ lease: { ttl: 1, wiat: 2 } }, 'CUTOVER_ERR_OPTIONS_UNKNOWN'],
    [{ timeout: 0 }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ timeout: '100ms' }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ prefix: 'a b' }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ redis: {} }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ store: { get: 1 } }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ memory: false }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ memory: { maxBytes: 10 } }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [{ breaker: { failures: 0 } }, 'CUTOVER_ERR_OPTIONS_INVALID'],
    [[], 'CUTOVER_ERR_OPTIONS_INVALID'],
  ])('rejects %j', (raw, code) => {
    expect(() => resolveOptions(raw)).toThrow(expect.objectContaining({ code }))
  })
  it.each([
    [{ timeout: 2 ** 31 }, /option timeout to be a number from 1 to 2147483647 ms \(the longest Node timer\), got 2147483648$/],
    [{ lease: { ttl: 1e16 } }, /option lease.ttl to be a number from 1 to 2147483647 ms/],
    [{ lease: { wait: 1e308 } }, /option lease.wait to be a number from 0 to 2147483647 ms/],
    [{ lease: { poll: 2 ** 31 } }, /option lease.poll/],
    [{ breaker: { cooldown: 1e16 } }, /option breaker.cooldown to be a number from 0 to 2147483647 ms/],
    [{ breaker: { failures: 2 ** 53 } }, /option breaker.failures to be an integer >= 1/],
    [{ passTtl: 1e16 }, /option passTtl to be a number from 0 to 2147483648 seconds \(2\^31, RFC 9111 §1.2.2\), got 10000000000000000$/],
    [{ memory: { maxTtl: 1e308 } }, /option memory.maxTtl to be a number from 0 to 2147483648 seconds/],
    [{ memory: { maxBytes: 1e308 } }, /option memory.maxBytes to be an integer >= 1024/],
    [{ timeout: NaN }, /got NaN$/],
    [{ passTtl: Infinity }, /got Infinity$/],
    [{ xfetchBeta: -Infinity }, /got -Infinity$/],
  ])('refuses a duration or lifetime past what its timer or store can hold, and names non-JSON values: %s', (raw, message) => {
    expect(() => resolveOptions(raw)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_OPTIONS_INVALID', message: expect.stringMatching(message) }))
  })
  it('accepts each bound itself', () => {
    const o = resolveOptions({ timeout: 2 ** 31 - 1, lease: { ttl: 2 ** 31 - 1, wait: 2 ** 31 - 1, poll: 2 ** 31 - 1 }, passTtl: 2 ** 31, breaker: { cooldown: 2 ** 31 - 1 } })
    expect(o.timeoutMs).toBe(2 ** 31 - 1)
    expect(o.passTtlMs).toBe(2 ** 31 * 1000)
  })
})

describe('route audience', () => {
  const who = (): number => 7
  it('defaults to public, or user when the route has a user function; keys on the user only for audience user', () => {
    expect(resolveRouteConfig('(GET /a)', { id: 'a', ttl: 1 })).toMatchObject({ audience: 'public', keysOnUser: false, user: undefined })
    const user = resolveRouteConfig('(GET /a)', { id: 'a', ttl: 1, user: who })
    expect(user).toMatchObject({ audience: 'user', keysOnUser: true, keysOnCookie: true })
    expect(user.user?.({} as never)).toBe('7')
    const shared = resolveRouteConfig('(GET /a)', { id: 'a', ttl: 1, audience: 'authenticated' }, { identify: who })
    expect(shared).toMatchObject({ audience: 'authenticated', keysOnUser: false, keysOnCookie: false, keysOnAuthorization: true })
    expect(shared.user?.({} as never)).toBe('7')
  })

  it('refuses an unknown audience, a user function on a public route, and a signed-in audience nobody can name', () => {
    const bad = (raw: unknown, identify?: () => number): string => {
      try {
        resolveRouteConfig('(GET /a)', raw, identify ? { identify } : {})
      } catch (err) {
        return (err as Error).message
      }
      return 'accepted'
    }
    expect(bad({ id: 'a', ttl: 1, audience: 'everyone' })).toMatch(/audience to be "public", "authenticated" or "user"/)
    expect(bad({ id: 'a', ttl: 1, audience: 'public', user: who })).toMatch(/no user function on a route whose audience is "public"/)
    expect(bad({ id: 'a', ttl: 1, audience: 'authenticated' })).toMatch(/a user function \(or the plugin's identify option\) for audience "authenticated"/)
    expect(bad({ id: 'a', ttl: 1, audience: 'user' }, who)).toBe('accepted')
  })
})
