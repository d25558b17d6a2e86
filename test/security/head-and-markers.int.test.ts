import type { FastifyInstance } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import { REFRESH_HEADER, SHADOW_HEADER } from '../../src/headers.js'
import { STORES, appsFor, statusOf } from './apps.js'

function page(app: FastifyInstance, options: { methods?: Array<'GET' | 'HEAD'> } = {}): void {
  let renders = 0
  app.route({
    method: options.methods ?? 'GET',
    url: '/page',
    config: { cutover: { id: 'page', ttl: 60 } },
    handler: async () => ({ renders: ++renders, text: 'x'.repeat(100) }),
  })
}

/** Echoes every request header: the worst case for anything secret travelling in headers. */
function echo(app: FastifyInstance): void {
  app.get('/echo', { config: { cutover: { id: 'echo', ttl: 60 } } }, async (req) => ({ headers: req.headers }))
}

describe.each(STORES)('HEAD ($name)', (store) => {
  const build = appsFor(store)

  it('is answered from the GET entry, without a body and without running the handler', async () => {
    const app = await build(page)
    const get = await app.inject('/page')
    const head = await app.inject({ method: 'HEAD', url: '/page' })
    expect(head.statusCode).toBe(200)
    expect(head.body).toBe('')
    expect(statusOf(head)).toContain('hit')
    expect(head.headers.etag).toBe(get.headers.etag)
    expect(app.cutover.stats().page?.miss).toBe(1)
  })

  it.each([
    ['the automatic HEAD route', undefined],
    ['a route declared for GET and HEAD', ['GET', 'HEAD'] as Array<'GET' | 'HEAD'>],
  ])('a cold HEAD through %s never stores a body-less page (or a pass marker) for GET', async (_label, methods) => {
    const app = await build((a) => page(a, methods ? { methods } : {}))
    const head = await app.inject({ method: 'HEAD', url: '/page' })
    expect(head.statusCode).toBe(200)
    expect(statusOf(head)).not.toContain('stored')

    const get = await app.inject('/page')
    expect(get.json()).toMatchObject({ text: 'x'.repeat(100) })
    expect(statusOf(get)).toContain('stored')
    const hit = await app.inject('/page')
    expect(statusOf(hit)).toContain('hit')
    expect(hit.json()).toEqual(get.json())
  })

  it('HEADs racing the first GET leave the GET page whole', async () => {
    const app = await build(page)
    const all = await Promise.all([
      app.inject({ method: 'HEAD', url: '/page' }),
      app.inject('/page'),
      app.inject({ method: 'HEAD', url: '/page' }),
      app.inject('/page'),
    ])
    for (const res of [all[1], all[3]]) expect(res?.json()).toMatchObject({ text: 'x'.repeat(100) })
    const after = await app.inject('/page')
    expect(after.json()).toMatchObject({ text: 'x'.repeat(100) })
    expect(statusOf(after)).toContain('hit')
  })

  it('a conditional HEAD gets 304 from the GET entry', async () => {
    const app = await build(page)
    const get = await app.inject('/page')
    const head = await app.inject({ method: 'HEAD', url: '/page', headers: { 'if-none-match': String(get.headers.etag) } })
    expect(head.statusCode).toBe(304)
  })
})

describe.each(STORES)('other methods ($name)', (store) => {
  const build = appsFor(store)

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const)('a %s to a cached URL is neither answered from the cache nor stored for GET', async (method) => {
    const app = await build((a) => {
      let renders = 0
      a.route({
        method: ['GET', method],
        url: '/thing',
        config: { cutover: { id: 'thing', ttl: 60 } },
        handler: async (req) => ({ method: req.method, renders: ++renders }),
      })
    })
    const get = await app.inject('/thing')
    const other = await app.inject({ method, url: '/thing' })
    expect(other.json()).toEqual({ method, renders: 2 })
    expect(statusOf(other)).toContain('detail=method')
    const again = await app.inject('/thing')
    expect(again.json()).toEqual(get.json())
    expect(statusOf(again)).toContain('hit')
  })
})

describe.each(STORES)('internal markers ($name)', (store) => {
  const build = appsFor(store)
  const forged = ['1', 'true', '00000000-0000-0000-0000-000000000000', 'x'.repeat(36)]

  it.each(forged)('a forged x-cutover-refresh (%s) cannot force a re-render past a cached page', async (value) => {
    const app = await build(page)
    const first = await app.inject('/page')
    const res = await app.inject({ url: '/page', headers: { [REFRESH_HEADER]: value } })
    expect(statusOf(res)).toContain('hit')
    expect(res.json()).toEqual(first.json())
    expect(app.cutover.stats().page?.refresh).toBe(0)
  })

  it.each(forged)('a forged x-cutover-shadow (%s) cannot make a request skip the cache', async (value) => {
    const app = await build(page)
    const first = await app.inject({ url: '/page', headers: { [SHADOW_HEADER]: value } })
    expect(statusOf(first)).toContain('stored')
    const res = await app.inject({ url: '/page', headers: { [SHADOW_HEADER]: value } })
    expect(statusOf(res)).toContain('hit')
  })

  it('the marker token repeated in two headers is not taken for the token', async () => {
    const app = await build(page)
    await app.inject('/page')
    const token = app.cutover.shadowToken
    const res = await app.inject({ url: '/page', headers: { [SHADOW_HEADER]: [token, token] } })
    expect(statusOf(res)).toContain('hit')
  })

  it('the real shadow token does bypass (so the forged-token cases above are meaningful)', async () => {
    const app = await build(page)
    await app.inject('/page')
    const res = await app.inject({ url: '/page', headers: { [SHADOW_HEADER]: app.cutover.shadowToken } })
    expect(statusOf(res)).toContain('detail=shadow')
  })

  it('the refresh token never reaches a handler, so a page that echoes headers cannot leak it into the cache', async () => {
    // A huge XFetch beta makes every hit refresh in the background, with the marker.
    const app = await build(echo, {}, { xfetchBeta: 1e12 })
    await app.inject('/echo')
    await app.inject('/echo')
    await vi.waitFor(() => expect(app.cutover.stats().echo?.stored).toBe(2))
    const res = await app.inject('/echo')
    expect(res.json().headers).not.toHaveProperty(REFRESH_HEADER)
    for (const value of Object.values(res.headers)) expect(String(value)).not.toContain(app.cutover.shadowToken)
  })
})
