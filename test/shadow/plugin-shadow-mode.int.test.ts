import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { buildShadowReport } from '../../src/report/shadow-model.js'
import { loadShadowData } from '../../src/report/shadow-query.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter, type ShadowWriter } from '../../src/shadow/writer.js'
import { appWith, eventually, untilHit } from '../helpers/app.js'
import { StaticFlagSource } from '../helpers/flags.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'

/**
 * The engine plugged into the plugin's shadow seam, on an app whose page path
 * rounds prices (a deliberate logic change) and whose responses carry a render
 * time (noise); a product renamed after its page was cached shows as staleness.
 */
describe('shadow mode through the plugin', () => {
  let db: MysqlForTest
  let app: FastifyInstance
  let writer: ShadowWriter
  const records: ShadowRecord[] = []
  const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
  const products = [{ id: 1, name: 'kettle', price: 24.99 }, { id: 2, name: 'mug', price: 7.5 }]
  let tick = 0

  beforeAll(async () => {
    db = await mysqlForTest('plugshadow')
    await migrate({ url: db.url })
    writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    const runner = createShadowRunner({
      sink: { write: (r) => (records.push(r), writer.write(r)) },
      source: injectCandidateSource({ readCached: pageCacheReader() }),
      secondaryRate: 0,
      freshRate: 0,
    })
    app = await appWith({ flags, shadow: runner.handler })
    app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 300, query: ['page'] } } }, async (_req, reply) => {
      const page = reply.getHeader('cutover-path') === 'page'
      return {
        items: products.map((p) => ({ ...p, price: page ? Math.round(p.price * 10) / 10 : p.price })),
        renderedAt: new Date(Date.UTC(2026, 0, 1) + 1000 * tick++).toISOString(),
      }
    })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await writer?.close()
    await db?.cleanup()
  })

  const shadowed = async (n: number): Promise<void> => {
    await eventually(() => records.length >= n)
  }

  it('serves legacy to users and reports the rounding as logic at the price path, the render time as noise', async () => {
    for (let i = 0; i < 6; i++) {
      const r = await app.inject('/api/products?page=1')
      expect(r.json<{ items: Array<{ price: number }> }>().items[0]!.price).toBe(24.99)
      expect(r.headers['cutover-path']).toBe('legacy')
      // One at a time: more than the concurrency cap (4) of shadows at once would drop some.
      await shadowed(i + 1)
    }
    const last = records.at(-1)!
    expect(last).toMatchObject({ outcome: 'mismatch', cause: 'logic', candidateSource: 'fresh' })
    // No meter plugin on this app: neither side's calls are known.
    expect(last.control).toMatchObject({ dbCalls: null, redisCalls: null })
    expect(last.candidate).toMatchObject({ dbCalls: null, redisCalls: null })
    expect(last.diffs.map((d) => [d.path, d.cause])).toEqual([
      ['/items/0/price', 'logic'],
      ['/renderedAt', 'noise'],
    ])
  })

  it('reports a product renamed after its page was cached as staleness, with the page age', async () => {
    flags.set({ 'products.list': 'on' })
    expect((await app.inject('/api/products?page=2')).headers['cache-status']).toMatch(/stored/)
    await untilHit(app, '/api/products?page=2')
    products[1]!.name = 'big mug'
    flags.set({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
    const before = records.length
    await app.inject('/api/products?page=2')
    await shadowed(before + 1)
    const r = records.at(-1)!
    expect(r).toMatchObject({ candidateSource: 'cache', cause: 'logic', candidate: { dbCalls: null, redisCalls: null } })
    expect(r.pageAgeMs).toBeGreaterThanOrEqual(0)
    expect(r.diffs.find((d) => d.path === '/items/1/name')).toMatchObject({ cause: 'staleness', control: 'big mug', candidate: 'mug' })
    expect(r.diffs.find((d) => d.path === '/items/0/price')).toMatchObject({ cause: 'logic' })
  })

  it('stores what the report shows', async () => {
    await writer.flush()
    const report = buildShadowReport(await loadShadowData(db.pool, {}), { generatedAt: Date.now(), window: { from: null, to: null } })
    const route = report.routes[0]!
    expect(route).toMatchObject({ route: 'products.list', samples: records.length, mismatches: { logic: records.length, leak: 0 } })
    const price = route.paths.find((p) => p.name === 'items')!.children[0]!.children.find((c) => c.name === 'price')!
    expect(price.counts).toEqual({ logic: records.length })
    expect(route.paths.find((p) => p.name === 'renderedAt')!.counts.noise).toBeGreaterThan(0)
    expect(route.verdict.ready).toBe(false)
  })
})
