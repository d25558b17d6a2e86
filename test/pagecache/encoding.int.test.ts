import { brotliDecompressSync } from 'node:zlib'
import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { acceptsBrotli, representationsOf } from '../../src/pagecache/encoding.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { StoredPage } from '../../src/pagecache/store.js'
import { appWith } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

describe('acceptsBrotli', () => {
  it('reads br, its q-value and the * wildcard (RFC 9110 §12.5.3)', () => {
    expect(acceptsBrotli(undefined)).toBe(false)
    expect(acceptsBrotli('gzip, deflate')).toBe(false)
    expect(acceptsBrotli('gzip, deflate, br')).toBe(true)
    expect(acceptsBrotli('br;q=0')).toBe(false)
    expect(acceptsBrotli('BR; Q=0.5')).toBe(true)
    expect(acceptsBrotli('*')).toBe(true)
    expect(acceptsBrotli('*, br;q=0')).toBe(false)
    expect(acceptsBrotli('br;q=0, *')).toBe(false)
    expect(acceptsBrotli(['gzip', 'br'])).toBe(true)
    expect(acceptsBrotli('identity')).toBe(false)
  })
})

describe('representationsOf', () => {
  const page = (headers: Record<string, string>): StoredPage => ({
    kind: 'page', status: 200, headers, body: Buffer.from('x'), brotli: Buffer.from('y'), etag: '"abc"',
    storedAt: 0, staleAt: 1, deleteAt: 2, tags: {}, renderMs: 1,
  })
  it('adds Accept-Encoding to Vary and gives the br form its own ETag', () => {
    expect(representationsOf(page({}))).toEqual({ negotiates: true, vary: 'accept-encoding', brotliEtag: '"abc-br"' })
    expect(representationsOf(page({ vary: 'x-tenant' })).vary).toBe('x-tenant, accept-encoding')
    expect(representationsOf(page({ vary: 'Accept-Encoding' })).vary).toBe('Accept-Encoding')
    expect(representationsOf(page({ vary: '*' })).vary).toBe('*')
  })
  it('never re-encodes a page the origin encoded or marked no-transform', () => {
    expect(representationsOf(page({ 'content-encoding': 'gzip' })).negotiates).toBe(false)
    expect(representationsOf(page({ 'cache-control': 'public, no-transform' })).negotiates).toBe(false)
  })
})

describe('a page stored brotli-compressed in Redis', () => {
  let t: RedisForTest
  let app: FastifyInstance
  let store: RedisPageStore
  const big = { items: Array.from({ length: 400 }, (_, i) => ({ id: i, name: `product ${i}` })) }

  beforeEach(async () => {
    t = redisForTest('encoding')
    store = new RedisPageStore({ redis: t.redis, prefix: t.prefix })
    app = await appWith({ store, timeout: 5000 })
    app.get('/big', { config: { cutover: { id: 'big', ttl: 60 } } }, async () => big)
    app.get('/small', { config: { cutover: { id: 'small', ttl: 60 } } }, async () => ({ ok: true }))
    await app.ready()
  })
  afterEach(async () => {
    await app.close()
    await t.cleanup()
  })

  it('goes as it is to a client that accepts br, and decompressed to one that does not', async () => {
    expect((await app.inject('/big')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    const br = await app.inject({ url: '/big', headers: { 'accept-encoding': 'gzip, br' } })
    expect(br.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(br.headers['content-encoding']).toBe('br')
    expect(br.headers.vary).toBe('accept-encoding')
    expect(JSON.parse(brotliDecompressSync(br.rawPayload).toString())).toEqual(big)
    expect(Number(br.headers['content-length'])).toBe(br.rawPayload.length)

    const plain = await app.inject({ url: '/big', headers: { 'accept-encoding': 'gzip' } })
    expect(plain.headers['content-encoding']).toBeUndefined()
    expect(plain.headers.vary).toBe('accept-encoding')
    expect(JSON.parse(plain.body)).toEqual(big)
    // One ETag per representation, each revalidating only itself.
    expect(br.headers.etag).not.toBe(plain.headers.etag)
    const brEtag = String(br.headers.etag)
    expect((await app.inject({ url: '/big', headers: { 'accept-encoding': 'br', 'if-none-match': brEtag } })).statusCode).toBe(304)
    expect((await app.inject({ url: '/big', headers: { 'if-none-match': brEtag } })).statusCode).toBe(200)
  })

  it('leaves a page stored as is alone: no Content-Encoding, no added Vary', async () => {
    await app.inject('/small')
    const res = await app.inject({ url: '/small', headers: { 'accept-encoding': 'br' } })
    expect(res.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.headers.vary).toBeUndefined()
  })
})
