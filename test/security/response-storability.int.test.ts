import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

/** A route whose handler sets the given response headers; its body counts renders. */
function routeSetting(headers: Record<string, string | string[]>, cutover: Record<string, unknown> = {}) {
  return (app: FastifyInstance): void => {
    let renders = 0
    app.get('/page', { config: { cutover: { id: 'page', ttl: 60, ...cutover } } }, async (req, reply) => {
      reply.headers(headers)
      return { renders: ++renders, lang: req.headers['accept-language'] ?? null }
    })
  }
}

describe.each(STORES)('response storability ($name)', (store) => {
  const build = appsFor(store)

  const neverStored: Array<[string, Record<string, string | string[]>, RegExp]> = [
    ['Set-Cookie (a session handed to everyone)', { 'set-cookie': 'session=victim; HttpOnly' }, /set-cookie/],
    ['Set-Cookie even with Cache-Control: public', { 'set-cookie': 'session=victim', 'cache-control': 'public, max-age=60' }, /set-cookie/],
    ['Cache-Control: private (a personal page)', { 'cache-control': 'private, max-age=60' }, /private/],
    ['Cache-Control: no-store (the origin forbids storing)', { 'cache-control': 'no-store' }, /no-store/],
    ['Vary: * (the origin says no key can describe the variant)', { vary: '*' }, /vary-star/],
    ['Vary on a header the route does not key on (one variant would be served to all)', { vary: 'Accept-Language' }, /vary-unkeyed-accept-language/],
    ['Vary listing a keyed and an unkeyed header', { vary: 'Accept-Encoding, Accept-Language' }, /vary-unkeyed/],
  ]

  it.each(neverStored)('does not store a response with %s', async (_what, headers, reason) => {
    const app = await build(routeSetting(headers))
    const first = await app.inject({ url: '/page', headers: { 'accept-language': 'fr' } })
    expect(statusOf(first)).toMatch(reason)
    expect(statusOf(first)).not.toContain('stored')

    const second = await app.inject('/page')
    expect(second.json().renders).toBe(2)
    expect(second.json().lang).toBeNull()
    expect(statusOf(second)).not.toContain('hit')
  })

  it('never replays a Set-Cookie from the cache, even if a later render of the key is storable', async () => {
    let call = 0
    const app = await build((a) => {
      a.get('/page', { config: { cutover: { id: 'page', ttl: 60 } } }, async (_req, reply) => {
        call++
        if (call === 1) reply.header('set-cookie', 'session=victim')
        return { call }
      })
    }, {}, { passTtl: 0 }) // no hit-for-pass, so the second render may be stored
    expect(statusOf(await app.inject('/page'))).toContain('set-cookie')
    const stored = await app.inject('/page')
    const hit = await app.inject('/page')
    expect(statusOf(stored)).toContain('stored')
    expect(statusOf(hit)).toContain('hit')
    expect(hit.headers['set-cookie']).toBeUndefined()
    expect(hit.json()).toEqual({ call: 2 })
  })

  it('stores a Vary the route does key on, and keeps the variants apart', async () => {
    const app = await build(routeSetting({ vary: 'Accept-Language' }, { vary: ['accept-language'] }))
    const fr = await app.inject({ url: '/page', headers: { 'accept-language': 'fr' } })
    const de = await app.inject({ url: '/page', headers: { 'accept-language': 'de' } })
    const fr2 = await app.inject({ url: '/page', headers: { 'accept-language': 'fr' } })
    expect(statusOf(fr)).toContain('stored')
    expect(statusOf(de)).toContain('stored')
    expect(statusOf(fr2)).toContain('hit')
    expect(fr2.json()).toEqual({ renders: 1, lang: 'fr' })
    expect(de.json()).toEqual({ renders: 2, lang: 'de' })
  })
})
