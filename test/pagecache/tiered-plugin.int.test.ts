import type { FastifyInstance } from 'fastify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { appWith, eventually } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

// Two app instances, each with its own memory layer over one Redis, as two
// processes behind a load balancer would run.
describe('plugin on TieredPageStore across two instances', () => {
  let t: RedisForTest
  const apps: FastifyInstance[] = []
  const stores: TieredPageStore[] = []
  const calls = { n: 0 }

  async function instance(): Promise<FastifyInstance> {
    const store = new TieredPageStore({ redis: t.connect(), prefix: t.prefix, memory: { maxBytes: 1 << 20, maxTtlMs: 60_000 } })
    stores.push(store)
    await store.ready()
    // A generous cache timeout: on a loaded machine a slow call would bypass the cache and render once more.
    const app = await appWith({ store, timeout: 5000 })
    app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 30, stale: 300, tags: ['products'] } } }, async () => {
      calls.n++
      return { n: calls.n }
    })
    // A list page built under a tag per item, as the demo's: its tag states are kept between hits.
    const items = Array.from({ length: 100 }, (_, i) => ({ id: i + 1 }))
    const itemTags = (_request: unknown, body: unknown): string[] => (body as { items: Array<{ id: number }> }).items.map((p) => `product:${p.id}`)
    app.get('/api/list', { config: { cutover: { id: 'list', ttl: 30, tags: itemTags } } }, async () => {
      calls.n++
      return { n: calls.n, items }
    })
    await app.ready()
    apps.push(app)
    return app
  }

  beforeEach(() => {
    t = redisForTest('tiered-plugin')
    calls.n = 0
  })
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()))
    await Promise.all(stores.splice(0).map((store) => store.close()))
    await t.cleanup()
  })

  const pageKeys = async (): Promise<string[]> => t.redis.keys(`${t.prefix}:v1:{*}:page:*`)

  it('serves the second instance from its memory layer, and drops it there on a hard purge from the first', async () => {
    const a = await instance()
    const b = await instance()
    expect((await a.inject('/api/products')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect((await b.inject('/api/products')).headers['cache-status']).toMatch(/^cutover; hit/)
    // Gone from Redis: only B's memory copy can still answer.
    const [name] = await pageKeys()
    await t.redis.del(name as string)
    const fromMemory = await b.inject('/api/products')
    expect(fromMemory.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(JSON.parse(fromMemory.body)).toEqual({ n: 1 })

    await a.cutover.invalidate({ tags: ['products'], hard: true })
    await eventually(async () => (await b.inject('/api/products')).headers['cache-status'] === 'cutover; fwd=miss; stored', 10_000)
    expect(calls.n).toBe(2)
  })

  it('serves a soft-purged page stale on the second instance while one request refreshes it', async () => {
    const a = await instance()
    const b = await instance()
    await a.inject('/api/products')
    expect((await b.inject('/api/products')).headers['cache-status']).toMatch(/^cutover; hit/)
    await a.cutover.invalidate({ tags: ['products'] })
    await eventually(async () => /fwd=stale/.test(String((await b.inject('/api/products')).headers['cache-status'])), 10_000)
    await eventually(async () => {
      const r = await b.inject('/api/products')
      return /^cutover; hit/.test(String(r.headers['cache-status'])) && JSON.parse(r.body).n === 2
    }, 10_000)
    expect(calls.n).toBe(2)
  })

  it('drops a page after hits on it when one of its hundred tags is hard-purged from another instance', async () => {
    const a = await instance()
    const b = await instance()
    expect((await a.inject('/api/list')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    for (let i = 0; i < 3; i++) expect((await b.inject('/api/list')).headers['cache-status']).toMatch(/^cutover; hit/)
    await a.cutover.invalidate({ tags: ['product:57'], hard: true })
    await eventually(async () => (await b.inject('/api/list')).headers['cache-status'] === 'cutover; fwd=miss; stored', 10_000)
    expect(JSON.parse((await b.inject('/api/list')).body).n).toBe(2)
  })

  it('misses after hits on a page once one of its tags is soft-purged, on a route without a stale window', async () => {
    const a = await instance()
    const b = await instance()
    await a.inject('/api/list')
    for (let i = 0; i < 3; i++) expect((await b.inject('/api/list')).headers['cache-status']).toMatch(/^cutover; hit/)
    await b.cutover.invalidate({ tags: ['product:3'], hard: false })
    expect((await b.inject('/api/list')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect(calls.n).toBe(2)
  })
})
