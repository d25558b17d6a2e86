import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { PageCacheKeys } from '../../src/pagecache/keys.js'
import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { PageKey, PageStore, StoredEntry } from '../../src/pagecache/store.js'
import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { appWith, eventually } from '../helpers/app.js'
import { REDIS_URL } from '../helpers/services.js'
import { makePage, unservable } from '../contract/page-store.contract.js'
import { STORES, appsFor, statusOf } from './apps.js'

/**
 * Hostile stored entries: values in the store that decode (or are handed
 * back) well-formed but that no response can carry, or that cutover never
 * writes. Each must be a miss that is deleted and re-rendered by the handler:
 * never a 5xx, never replayed.
 */

/** An envelope around any header fields and body, as a writer other than cutover could leave it. */
function envelope(header: Record<string, unknown>, body: Buffer = Buffer.alloc(0)): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const pre = Buffer.alloc(10)
  pre.write('CTPG', 0, 'latin1')
  pre[4] = 1
  pre.writeUInt32BE(json.length, 6)
  return Buffer.concat([pre, json, body])
}

function envelopeOf(entry: StoredEntry): Buffer {
  if (entry.kind === 'pass') return envelope({ ...entry })
  const { body, ...page } = entry
  return envelope({ ...page, bodyLength: body.length }, body)
}

/** Page fields as a JSON writer could leave them, beyond what a StoredEntry can type. */
function rawShapes(): Array<[string, Buffer]> {
  const { body, ...page } = makePage({ body: Buffer.from('{"evil":true}') })
  const fields = (over: Record<string, unknown>): Buffer => envelope({ ...page, bodyLength: body.length, ...over }, body)
  return [
    ['a body longer than its header says', fields({ bodyLength: 3 })],
    ['a body shorter than its header says', fields({ bodyLength: 4096 })],
    ['a header value that is a number', fields({ headers: { 'x-a': 5 } })],
    ['a header list holding an object', fields({ headers: { link: [{}] } })],
    ['a tag version that is a string', fields({ tags: { '@route:page': '0' } })],
    ['a tag version that is null', fields({ tags: { '@route:page': null } })],
    ['status as a string', fields({ status: '200' })],
    ['status 1000', fields({ status: 1000 })],
    ['no etag', fields({ etag: undefined })],
    ['a __proto__ header', envelope({ ...page, bodyLength: body.length, headers: JSON.parse('{"__proto__":["x"]}') as unknown }, body)],
    ['deleteAt in the far future on a key that never expires', fields({ staleAt: 1e300, deleteAt: 1e300 })],
  ]
}

const HOSTILE: Array<[string, Buffer]> = [...unservable().map(([what, entry]): [string, Buffer] => [what, envelopeOf(entry)]), ...rawShapes()]

/** The key names of the Redis store behind the app. */
function keysOf(app: FastifyInstance): PageCacheKeys {
  const store = app.cutover.store
  if (store instanceof TieredPageStore) return store.redisStore.keys
  if (store instanceof RedisPageStore) return store.keys
  throw new Error(`not a Redis-backed store: ${store.name}`)
}

describe.each(STORES.filter((s) => s.name !== 'memory store'))('hostile entries in Redis ($name)', (store) => {
  const build = appsFor(store)
  let redis: Redis

  beforeAll(() => {
    redis = new Redis(REDIS_URL)
  })
  afterAll(() => {
    redis.disconnect()
  })

  /** /page renders `{ n }`; returns the app and the Redis key of its one page, stored once. */
  async function pageApp(): Promise<{ app: FastifyInstance; name: string; key: PageKey }> {
    let n = 0
    const app = await build((a) => a.get('/page', { config: { cutover: { id: 'page', ttl: 60, tags: ['products'] } } }, async () => ({ n: ++n })))
    expect(statusOf(await app.inject('/page'))).toBe('cutover; fwd=miss; stored')
    const keys = keysOf(app)
    const [name, more] = await redis.keys(keys.page({ route: 'page', hash: 'h' }).replace(/:h$/, ':*'))
    expect(name).toBeDefined()
    expect(more).toBeUndefined()
    const key = { route: 'page', hash: (name as string).slice((name as string).lastIndexOf(':') + 1) }
    // Dropped through cutover, so no memory layer keeps its copy; then replaced behind its back.
    await app.cutover.invalidate({ keys: [key] })
    return { app, name: name as string, key }
  }

  it.each(HOSTILE)('%s: the handler answers (never a 5xx), the entry is replaced, the next request is a hit', async (_what, value) => {
    const { app, name, key } = await pageApp()
    await redis.set(name, value)
    const res = await app.inject('/page')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ n: 2 })
    expect(statusOf(res)).toBe('cutover; fwd=miss; stored')
    expect(res.headers['set-cookie']).toBeUndefined()
    await expect(app.cutover.store.get(key)).resolves.toMatchObject({ kind: 'page', status: 200 })
    const hit = await app.inject('/page')
    expect(statusOf(hit)).toMatch(/^cutover; hit/)
    expect(hit.json()).toEqual({ n: 2 })
  })

  it('peek() (the shadow comparison\'s cached side) reads a hostile entry as no page, as a hit would (was: it rejected)', async () => {
    const { app, name } = await pageApp()
    await redis.set(name, envelopeOf(makePage({ status: 99 })))
    await expect(app.cutover.peek('page', { url: '/page', query: {}, headers: { host: 'localhost:80' } })).resolves.toBeUndefined()
    await app.inject('/page')
    await expect(app.cutover.peek('page', { url: '/page', query: {}, headers: { host: 'localhost:80' } })).resolves.toMatchObject({ page: { status: 200 } })
  })

  it('a lease key written without an expiry does not block the page\'s renders (was: every request waited lease.wait for ever)', async () => {
    const { app, name, key } = await pageApp()
    await redis.del(name)
    await redis.set(keysOf(app).lease(key), 'nobody')
    const started = performance.now()
    const res = await app.inject('/page')
    expect(performance.now() - started).toBeLessThan(1000)
    expect(statusOf(res)).toBe('cutover; fwd=miss; stored')
    // Released once the page is written, after the response.
    await eventually(async () => (await redis.get(keysOf(app).lease(key))) === null)
  })

  it('a hostile entry is a miss, not a store failure: it does not count towards the breaker', async () => {
    let n = 0
    const app = await build(
      (a) => a.get('/page', { config: { cutover: { id: 'page', ttl: 60 } } }, async () => ({ n: ++n })),
      {},
      { breaker: { failures: 2, cooldown: 60_000 } },
    )
    expect(statusOf(await app.inject('/page'))).toBe('cutover; fwd=miss; stored')
    const [name] = await redis.keys(keysOf(app).page({ route: 'page', hash: 'h' }).replace(/:h$/, ':*'))
    const hash = (name as string).slice((name as string).lastIndexOf(':') + 1)
    for (let i = 0; i < 4; i++) {
      await app.cutover.invalidate({ keys: [`page:${hash}`] })
      await redis.set(name as string, envelopeOf(makePage({ status: 99 })))
      expect(statusOf(await app.inject('/page')), `hostile read ${i + 1}`).toBe('cutover; fwd=miss; stored')
    }
    expect(statusOf(await app.inject('/page'))).toMatch(/^cutover; hit/)
  })

  it('a tag counter that is not a number: pages under the tag are served by the handler, and invalidate() rejects with a coded error', async () => {
    const { app } = await pageApp()
    await redis.hset(keysOf(app).tags, 'v:products', 'many')
    const res = await app.inject('/page')
    expect(res.statusCode).toBe(200)
    // A memory layer answers from the tag state it holds (up to maxTtl) without reading the counter.
    expect(statusOf(res)).toMatch(store.name === 'Redis store' ? /^cutover; fwd=bypass; detail=cache-error$/ : /^cutover; fwd=(bypass; detail=cache-error|miss; stored)$/)
    await expect(app.cutover.invalidate({ tags: ['products'] })).rejects.toMatchObject({ code: 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY' })
  })
})

describe('hostile entries from a store of the app\'s own', () => {
  it.each(unservable())('%s: read as corrupt, deleted, rendered by the handler', async (_what, entry) => {
    const inner = new MemoryPageStore()
    let served = false
    const deleted: PageKey[][] = []
    const store = Object.assign(Object.create(inner) as PageStore, {
      name: 'custom',
      get: async () => (served ? undefined : ((served = true), entry)),
      delete: async (keys: PageKey[]) => {
        deleted.push(keys)
        return inner.delete(keys)
      },
    })
    const app = await appWith({ store })
    try {
      app.get('/page', { config: { cutover: { id: 'page', ttl: 60 } } }, async () => ({ fresh: true }))
      const res = await app.inject('/page')
      expect(res.statusCode).toBe(200)
      expect(res.json()).toEqual({ fresh: true })
      expect(statusOf(res)).toBe('cutover; fwd=miss; stored')
      expect(deleted).toHaveLength(1)
    } finally {
      await app.close()
    }
  })
})

describe.each(STORES)('renders no response could replay are not stored ($name)', (store) => {
  const build = appsFor(store)

  it.each([
    ['a header value outside Latin-1', 'x-name', 'żółw'],
    ['a header value with CR LF', 'x-next', 'a\r\nset-cookie: s=1'],
  ])('%s: the miss answers the 500 the route gives without cutover (was: an unhandled rejection ending the process), and nothing is stored', async (_what, name, value) => {
    let renders = 0
    const app = await build((a) =>
      a.get('/bad', { config: { cutover: { id: 'bad', ttl: 60 } } }, async (_req, reply) => {
        renders++
        reply.header(name, value)
        return { ok: true }
      }),
    )
    const first = await app.inject('/bad')
    expect(first.statusCode).toBe(500)
    expect(first.json()).toMatchObject({ code: 'ERR_INVALID_CHAR' })
    const again = await app.inject('/bad')
    expect(again.statusCode).toBe(500)
    expect(renders).toBe(2)
    expect(app.cutover.stats().bad?.stored ?? 0).toBe(0)
  })

  it('a page built under more than 1024 tags is not stored (every hit would read each tag)', async () => {
    const app = await build((a) =>
      a.get('/many', { config: { cutover: { id: 'many', ttl: 60, tags: () => Array.from({ length: 1024 }, (_, i) => `t${i}`) } } }, async () => ({ ok: true })),
    )
    expect(statusOf(await app.inject('/many'))).toBe('cutover; fwd=miss; detail=too-many-tags')
    expect(statusOf(await app.inject('/many'))).not.toMatch(/hit/)
  })
})
