import type { FastifyInstance, FastifyServerOptions } from 'fastify'
import { describe, expect, it } from 'vitest'
import { renderedRequest } from '../../src/pagecache/key.js'
import { STORES, appsFor } from './apps.js'
import { listening, rawGet } from './wire.js'

const SCRIPT = '"><script>alert(1)</script>'

/** Routes whose handlers echo the URL they see, as canonical and `self` links do; bodies count renders. */
function echoingRoutes(app: FastifyInstance): void {
  let renders = 0
  const echo = (req: { url: string; query: unknown }) => ({ self: req.url, query: req.query, renders: ++renders })
  // Keyed on no parameter at all: a page whose only input is its path.
  app.get('/page', { config: { cutover: { id: 'page', ttl: 60, query: [] } } }, async (req) => echo(req))
  app.get('/all', { config: { cutover: { id: 'all', ttl: 60 } } }, async (req) => echo(req))
  app.get('/:slug/page', { config: { cutover: { id: 'slug', ttl: 60 } } }, async (req) => echo(req))
}

describe.each(STORES)('request-target forms ($name)', (store) => {
  const build = appsFor(store)

  async function serve(server: FastifyServerOptions = {}): Promise<number> {
    return listening(await build(echoingRoutes, server))
  }

  it('a raw "#" in the request-target cannot put its fragment in the page of the clean URL', async () => {
    const port = await serve()
    const attack = await rawGet(port, `/page#${SCRIPT}`)
    expect(attack.headers['cache-status']).toContain('detail=request-target')
    const victim = await rawGet(port, '/page')
    expect(victim.body).not.toContain('script')
    expect(JSON.parse(victim.body)).toMatchObject({ self: '/page' })
  })

  it('"/all#a=1" (which the router parses as the query a=1) is not served for "/all?a=1"', async () => {
    const port = await serve()
    const attack = await rawGet(port, '/all#a=1')
    expect(attack.headers['cache-status']).toContain('bypass')
    const victim = await rawGet(port, '/all?a=1')
    expect(victim.headers['cache-status']).toContain('stored')
    expect(JSON.parse(victim.body)).toMatchObject({ self: '/all?a=1', query: { a: '1' } })
  })

  it('a "#" after the query is refused as well', async () => {
    const port = await serve()
    expect((await rawGet(port, `/all?a=1#${SCRIPT}`)).headers['cache-status']).toContain('detail=request-target')
    expect((await rawGet(port, '/all?a=1')).body).not.toContain('script')
  })

  it('absolute-form naming another host is answered by the handler and never stored', async () => {
    const port = await serve()
    const attack = await rawGet(port, 'http://evil.example/page')
    expect(attack.status).toBe(200)
    expect(attack.headers['cache-status']).toContain('detail=request-target')
    const victim = await rawGet(port, '/page')
    expect(victim.body).not.toContain('evil.example')
  })

  it('under ignoreDuplicateSlashes, "//evil.example/page" cannot store a protocol-relative link in "/evil.example/page"', async () => {
    const port = await serve({ routerOptions: { ignoreDuplicateSlashes: true } })
    const attack = await rawGet(port, '//evil.example/page')
    expect(attack.headers['cache-status']).toContain('stored')
    expect(JSON.parse(attack.body)).toMatchObject({ self: '/evil.example/page' })
    const victim = await rawGet(port, '/evil.example/page')
    expect(victim.headers['cache-status']).toContain('hit')
    expect(victim.body).not.toContain('//evil.example')
  })

  it('under ignoreTrailingSlash, a render reached through "/all/" sees the keyed "/all"', async () => {
    const port = await serve({ routerOptions: { ignoreTrailingSlash: true } })
    expect(JSON.parse((await rawGet(port, '/all/?b=2')).body)).toMatchObject({ self: '/all?b=2' })
  })

  it('a raw "<" in the query cannot reach the page of its percent-encoded twin', async () => {
    const port = await serve()
    const attack = await rawGet(port, '/all?q=<script>')
    expect(attack.headers['cache-status']).toContain('stored')
    const victim = await rawGet(port, '/all?q=%3Cscript%3E')
    expect(victim.headers['cache-status']).toContain('hit')
    // The parsed value is '<script>' either way (as without a cache); the URL a page links to is never the raw form.
    expect(JSON.parse(victim.body)).toMatchObject({ self: '/all?q=%3Cscript%3E', query: { q: '<script>' } })
  })

  it('a path segment with ";" (useSemicolonDelimiter) is its own page and cannot reach the clean one', async () => {
    const port = await serve({ routerOptions: { useSemicolonDelimiter: true } } as FastifyServerOptions)
    await rawGet(port, `/page;x=${encodeURIComponent(SCRIPT)}`)
    const victim = await rawGet(port, '/page')
    expect(victim.body).not.toContain('script')
  })

  it('percent-encoded dot segments reach only the page their decoded params name', async () => {
    const port = await serve()
    const attack = await rawGet(port, '/%2e%2e/page')
    expect(JSON.parse(attack.body)).toMatchObject({ self: '/../page' })
    const other = await rawGet(port, '/x/page')
    expect(JSON.parse(other.body)).toMatchObject({ self: '/x/page', renders: 2 })
  })
})

describe('renderedRequest', () => {
  const rules = { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true }

  it('gives every request of one key the same URL: path as keyed, parameters sorted, one encoding', () => {
    const variants = ['/a//b/?y=2&x=1', '/a/b?x=%31&y=2', '//a/b?y=2&x=1', '/%61/b?x=1&y=2']
    const urls = variants.map((url) => renderedRequest(url, {}, true, rules).url)
    expect(new Set(urls)).toEqual(new Set(['/a/b?x=1&y=2']))
  })

  it('decodes as the router does ("+" is a space, a malformed escape stays as sent) and encodes one way', () => {
    expect(renderedRequest('/s?q=red+shoes&z=%zz&e', {}, true, rules).url).toBe('/s?e=&q=red%20shoes&z=%25zz')
  })

  it('keeps repeated names in the order sent', () => {
    expect(renderedRequest('/s?b=1&a=2&a=1', {}, true, rules).url).toBe('/s?a=2&a=1&b=1')
  })
})
