import type { FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { buildDemoApp } from '../../src/demo/app.js'
import { LegacyCatalog } from '../../src/demo/catalog.js'
import { seedDemoData } from '../../src/demo/schema.js'
import { demoPageCache } from '../../src/demo/page-cache.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { renderShadowMarkdown } from '../../src/report/shadow-markdown.js'
import { buildShadowReport } from '../../src/report/shadow-model.js'
import { loadShadowData } from '../../src/report/shadow-query.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter, type ShadowWriter } from '../../src/shadow/writer.js'
import { eventually, untilHit } from '../helpers/app.js'
import { StaticFlagSource } from '../helpers/flags.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

type Page = { items: Array<{ id: number; name: string; priceCents: number }>; generatedAt: string }

/**
 * The legacy demo in shadow mode with its deliberate faults on: the page
 * handler of products.list rounds prices to whole units (a logic change in
 * the page handler only) and list pages carry generatedAt, their render time,
 * on both paths (noise). A product renamed in MySQL and refreshed in the
 * object cache the legacy way, with no page invalidation, leaves a stale page.
 */
describe('shadow comparison on the legacy demo', () => {
  const env = redisForTest('shadowdemo')
  let db: MysqlForTest
  let app: FastifyInstance
  let writer: ShadowWriter
  let queue: ListRefreshQueue
  const records: ShadowRecord[] = []
  const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 1 } })

  beforeAll(async () => {
    db = await mysqlForTest('shadowdemo')
    await seedDemoData(db.pool, 1000)
    await migrate({ url: db.url })
    writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    const runner = createShadowRunner({
      sink: { write: (r) => (records.push(r), writer.write(r)) },
      source: injectCandidateSource({ readCached: pageCacheReader() }),
      secondaryRate: 0,
      freshRate: 0,
    })
    queue = new ListRefreshQueue({ redis: env.redis, prefix: env.prefix })
    app = await buildDemoApp({
      pool: db.pool, redis: env.redis, queue, prefix: env.prefix,
      // A generous cache timeout: on a loaded machine a read past the default 100 ms fails open to a
      // fresh render, and this test is about causes, not about timeouts (test/pagecache/redis-fault.int.test.ts is).
      pageCache: demoPageCache({ redis: env.connect(), prefix: env.prefix, plugin: { flags, shadow: runner.handler, timeout: 5000 } }),
      faults: { roundPrices: true, generatedAt: true },
    })
    await app.ready()
  }, 120_000)

  afterAll(async () => {
    await app?.close()
    await writer?.close()
    await queue?.close()
    await env.cleanup()
    await db?.cleanup()
  })

  it('reports the rounding as logic on the price path, the render time as noise and a renamed product as staleness', async () => {
    for (const page of [1, 2, 3]) {
      for (let i = 0; i < 3; i++) {
        const res = await app.inject(`/api/products?page=${page}`)
        expect(res.headers['cutover-path']).toBe('legacy')
        expect(res.json<Page>().items[0]!.priceCents % 100).not.toBe(0)
      }
    }
    await eventually(() => records.length === 9, 10_000)
    expect(new Set(records.map((r) => r.cause))).toEqual(new Set(['logic']))
    for (const r of records) {
      expect(new Set(r.diffs.filter((d) => d.cause === 'logic').map((d) => d.shape))).toEqual(new Set(['/items/*/priceCents']))
    }
    // generatedAt is the render time in ms: a secondary (or a fresh render) made within the same ms as
    // the user's response carries the same value, and then that sample has no evidence of noise there.
    const noiseAtTime = records.filter((r) => r.diffs.find((d) => d.path === '/generatedAt')?.cause === 'noise')
    expect(noiseAtTime.length).toBeGreaterThanOrEqual(7)

    // Cache page 4 on the page path, then rename a product on it the legacy way.
    flags.set({ 'products.list': 'on' })
    expect((await app.inject('/api/products?page=4')).headers['cache-status']).toMatch(/stored/)
    // Or the shadow below may find no page yet and compare a fresh render (seen once on a loaded machine).
    await untilHit(app, '/api/products?page=4')
    flags.set({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
    await db.pool.query("UPDATE products SET name = 'Renamed Kettle 301', updated_at = '2026-11-24 12:00:00.000' WHERE id = 301")
    await new LegacyCatalog(db.pool, env.redis, env.prefix).refresh(301)
    await app.inject('/api/products?page=4')
    await eventually(() => records.length === 10, 10_000)
    const stale = records.at(-1)!
    expect(stale).toMatchObject({ candidateSource: 'cache', cause: 'logic' })
    expect(stale.pageAgeMs).toBeGreaterThan(0)
    expect(stale.diffs.find((d) => d.path === '/items/0/name')).toMatchObject({ cause: 'staleness', control: 'Renamed Kettle 301' })
    expect(stale.diffs.find((d) => d.path === '/items/0/updatedAt')).toMatchObject({ cause: 'staleness' })

    await writer.flush()
    const report = buildShadowReport(await loadShadowData(db.pool, {}), {
      generatedAt: Date.now(), window: { from: null, to: null }, policy: { minSamples: 5 }, examplesPerRoute: 2,
    })
    const route = report.routes[0]!
    expect(route).toMatchObject({ route: 'products.list', samples: 10, mismatches: { logic: 10, leak: 0 } })
    // The stale sample ranks as logic (the rounding), yet its page age is the stale page age.
    expect(route.stalePageAge.max).toBe(Math.round(stale.pageAgeMs!))
    const md = renderShadowMarkdown(report)
    expect(md).toContain('`priceCents` – logic 10')
    expect(md).toMatch(/`name` – staleness 1/)
    expect(md).toMatch(/`updatedAt` – staleness 1/)
    expect(md).toMatch(/`generatedAt` – noise (7|8|9|10)\b/)
  })
})
