import type { FastifyInstance } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import { renderedRequest } from '../../src/pagecache/key.js'
import { STORES, appsFor, statusOf } from './apps.js'

/** Reflects what the handler sees of the query, and counts renders. */
function queryRoutes(query: readonly string[] | true) {
  return (app: FastifyInstance): void => {
    let renders = 0
    app.get('/search', { config: { cutover: { id: 'search', ttl: 60, query } } }, async (req) => ({
      query: req.query,
      url: req.url,
      originalUrl: req.originalUrl,
      renders: ++renders,
    }))
  }
}

describe.each(STORES)('query strings ($name)', (store) => {
  const build = appsFor(store)

  describe.each([
    ['every parameter keyed', true as const],
    ['an allow-list', ['a', 'b', 'q']],
  ])('with %s', (_label, query) => {
    it.each([
      ['reordered parameters', '/search?a=1&b=2', '/search?b=2&a=1'],
      ['%20 and + for a space', '/search?q=red%20shoes', '/search?q=red+shoes'],
      ['a percent-encoded name', '/search?a=1', '/search?%61=1'],
      ['a percent-encoded value', '/search?a=x', '/search?a=%78'],
      ['lower- and upper-case escapes', '/search?q=%c3%a9', '/search?q=%C3%A9'],
    ])('%s share one entry (no cache-busting by re-encoding)', async (_what, first, second) => {
      const app = await build(queryRoutes(query))
      const a = await app.inject(first)
      const b = await app.inject(second)
      expect(statusOf(a)).toContain('stored')
      expect(statusOf(b)).toContain('hit')
      expect(b.json().query).toEqual(a.json().query)
    })

    it.each([
      ['repeated values in another order', '/search?a=1&a=2', '/search?a=2&a=1'],
      ['an encoded & inside a value', '/search?a=1%26b%3D2', '/search?a=1&b=2'],
      ['names differing in case', '/search?a=1', '/search?A=1&a=2'],
      ['an empty value and an absent parameter', '/search?a=', '/search'],
    ])('%s get their own pages (no collision)', async (_what, first, second) => {
      const app = await build(queryRoutes(query))
      const a = await app.inject(first)
      const b = await app.inject(second)
      expect(statusOf(b)).toContain('stored')
      expect(b.json().renders).toBe(2)
      expect(b.json().query).not.toEqual(a.json().query)
    })
  })

  it('parameters outside the allow-list do not split the cache (tracking parameters hit the same page)', async () => {
    const app = await build(queryRoutes(['a']))
    await app.inject('/search?a=1')
    const tracked = await app.inject('/search?utm_source=mail&a=1&fbclid=xyz')
    expect(statusOf(tracked)).toContain('hit')
    expect(tracked.json().renders).toBe(1)
  })

  it('a parameter outside the allow-list cannot change the stored page: the handler of a storable render does not see it', async () => {
    const app = await build(queryRoutes(['a']))
    const attacker = await app.inject('/search?a=1&callback=alert(1)&b=%3Cscript%3E')
    expect(statusOf(attacker)).toContain('stored')
    expect(attacker.json()).toEqual({ query: { a: '1' }, url: '/search?a=1', originalUrl: '/search?a=1', renders: 1 })

    const victim = await app.inject('/search?a=1')
    expect(statusOf(victim)).toContain('hit')
    expect(victim.body).not.toContain('alert')
    expect(victim.body).not.toContain('script')
  })

  it('shows a storable render the allow-listed parameters as the key holds them: sorted by name, repeats in order, one encoding', async () => {
    const app = await build(queryRoutes(['a', 'q']))
    const res = await app.inject('/search?x=1&q=red+shoes&a=2&y=&a=1')
    expect(res.json()).toMatchObject({ query: { q: 'red shoes', a: ['2', '1'] }, url: '/search?a=2&a=1&q=red%20shoes' })
  })

  it('a background refresh triggered by a hit with extra parameters stores the clean page', async () => {
    // A huge XFetch beta makes every hit refresh early, in the background, with the hit's own URL.
    const app = await build(queryRoutes(['a']), {}, { xfetchBeta: 1e12 })
    await app.inject('/search?a=1')
    const hit = await app.inject('/search?a=1&evil=1')
    expect(statusOf(hit)).toContain('hit')
    await vi.waitFor(() => expect(app.cutover.stats().search?.stored).toBe(2))
    const after = await app.inject('/search?a=1')
    expect(after.json()).toEqual({ query: { a: '1' }, url: '/search?a=1', originalUrl: '/search?a=1', renders: 2 })
  })

  it('a request the cache passes by (here: with a cookie) reaches the handler with its full query', async () => {
    const app = await build(queryRoutes(['a']))
    const res = await app.inject({ url: '/search?a=1&debug=1', headers: { cookie: 's=1' } })
    expect(statusOf(res)).toContain('bypass')
    expect(res.json().query).toEqual({ a: '1', debug: '1' })
  })
})

/**
 * A bracket-notation parser in the style of `qs`: `a[]=x` pushes a string,
 * `a[][k]=x` pushes an object. Apps plug such parsers in with Fastify's
 * `querystringParser`.
 */
function bracketParser(str: string): Record<string, unknown> {
  const out: Record<string, unknown[]> = {}
  for (const [name, value] of new URLSearchParams(str)) {
    const m = /^(\w+)\[\](?:\[(\w+)\])?$/.exec(name)
    if (!m) continue
    const list = (out[m[1]!] ??= [])
    list.push(m[2] ? { [m[2]]: value } : value)
  }
  return out
}

describe.each(STORES)('query values of other types ($name)', (store) => {
  const build = appsFor(store)

  it('an array of objects and an array of their JSON strings are two pages (no type confusion in the key)', async () => {
    const app = await build(
      (a) => {
        a.get('/filter', { config: { cutover: { id: 'filter', ttl: 60 } } }, async (req) => {
          const first = (req.query as { f?: unknown[] }).f?.[0]
          return { kind: typeof first, value: first }
        })
      },
      { routerOptions: { querystringParser: bracketParser } },
    )
    const asObject = await app.inject('/filter?f[][color]=red')
    const asString = await app.inject(`/filter?f[]=${encodeURIComponent('{"color":"red"}')}`)
    expect(asObject.json()).toEqual({ kind: 'object', value: { color: 'red' } })
    expect(asString.json()).toEqual({ kind: 'string', value: '{"color":"red"}' })
    expect(String(asString.headers['cache-status'])).toContain('stored')
  })
})

const RULES = { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false }

describe('renderedRequest', () => {
  it('drops empty and malformed segments rather than guessing what they mean', () => {
    expect(renderedRequest('/s?&&a=1&%zz=2&b', { a: '1', b: '' }, ['a'], RULES)).toEqual({ url: '/s?a=1', query: { a: '1' } })
    expect(renderedRequest('/s', {}, ['a'], RULES)).toEqual({ url: '/s', query: {} })
    expect(renderedRequest('/s?x=1', { x: '1' }, ['a'], RULES)).toEqual({ url: '/s', query: {} })
  })

  it('does not let an inherited property name through the allow-list', () => {
    expect(renderedRequest('/s', {}, ['toString'], RULES).query).toEqual({})
  })
})
