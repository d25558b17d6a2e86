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
})
