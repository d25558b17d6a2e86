import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import cutover from '../../src/plugin.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner } from '../../src/shadow/runner.js'

describe('shadowing through the cutover plugin', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => app?.close())

  async function shop() {
    const products = [{ id: 1, price: 10 }, { id: 2, price: 20 }]
    app = Fastify()
    await app.register(cutover, {})
    let renders = 0
    app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 60, query: ['page'] } } }, async () => {
      renders++
      return { items: products.map((p) => ({ ...p })) }
    })
    await app.ready()
    return { app, products, renders: () => renders }
  }

  function ctxFor(a: FastifyInstance, url: string, body: unknown): ShadowContext {
    return {
      app: a,
      request: { routeId: 'products.list', method: 'GET', url, headers: { host: 'localhost:80', accept: 'application/json' } },
      control: { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from(JSON.stringify(body)), durationMs: 3 },
      signal: new AbortController().signal,
    }
  }

  it('reads the page the cache would serve, with its age, and classifies an update since as staleness', async () => {
    const s = await shop()
    const first = await s.app.inject({ url: '/api/products?page=1&utm=x' })
    expect(first.headers['cache-status']).toMatch(/stored/)
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({ sink: { write: (r) => records.push(r) }, source: injectCandidateSource({ readCached: pageCacheReader() }), secondaryRate: 0, secondaryOnMismatch: false, freshRate: 0 })

    // Five seconds later (only the clock moves), the cached page is 5 s old.
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(Date.now() + 5000)
    try {
      await runner.handler(ctxFor(s.app, '/api/products?utm=y&page=1', { items: s.products }))
    } finally {
      vi.useRealTimers()
    }
    expect(records[0]).toMatchObject({ outcome: 'match', candidateSource: 'cache' })
    expect(records[0]!.pageAgeMs).toBeGreaterThanOrEqual(4000)

    s.products[1]!.price = 25
    await runner.handler(ctxFor(s.app, '/api/products?page=1', { items: s.products }))
    expect(records[1]).toMatchObject({ outcome: 'mismatch', cause: 'staleness', candidateSource: 'cache' })
    expect(records[1]!.diffs.map((d) => [d.path, d.cause])).toEqual([['/items/1/price', 'staleness']])

    // The shadow's fresh render was not stored: users still get the cached page.
    const after = await s.app.inject({ url: '/api/products?page=1' })
    expect(after.headers['cache-status']).toMatch(/hit/)
    expect(after.json<{ items: Array<{ price: number }> }>().items[1]!.price).toBe(20)
    // The first request and the shadow's fresh render of the mismatch.
    expect(s.renders()).toBe(2)
  })

  it('compares against a fresh render when nothing is cached, and after a purge', async () => {
    const s = await shop()
    await s.app.inject({ url: '/api/products?page=2' })
    await s.app.cutover.invalidate({ route: 'products.list', hard: true })
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({ sink: { write: (r) => records.push(r) }, source: injectCandidateSource({ readCached: pageCacheReader() }), secondaryRate: 0 })
    await runner.handler(ctxFor(s.app, '/api/products?page=2', { items: s.products }))
    await runner.handler(ctxFor(s.app, '/api/products?page=3', { items: s.products }))
    expect(records.map((r) => [r.outcome, r.candidateSource])).toEqual([['match', 'fresh'], ['match', 'fresh']])
  })
})
