import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { migrate } from '../db/migrate.js'
import { StaticFlagSource } from '../flags/static-source.js'
import type { ShadowReport } from '../report/shadow-model.js'
import type { ShadowRecord } from '../shadow/record.js'
import { createShadowRunner, type ShadowRunner } from '../shadow/runner.js'
import { loopbackCandidateSource } from '../shadow/loopback-source.js'
import { pageCacheReader } from '../shadow/page-cache-reader.js'
import { createShadowWriter } from '../shadow/writer.js'
import { LegacyCatalog } from './catalog.js'
import { closeAll } from './close-all.js'
import { driveLoad, type LoadResult } from './load.js'
import { DEMO_PRODUCTS, seedDemoData, seedProduct } from './schema.js'
import { databaseUrl, deleteKeys, redactUrl, withDemoServices } from './services.js'
import { writeShadowDemoReport, type ShadowDemoFiles } from './shadow-demo-report.js'
import { startDemoStack, type DemoStack } from './stack.js'
import { RENAMED_PRODUCT, SHADOW_DEMO_ROUTE } from './shadow-names.js'

/** The route compared, and the product renamed during the run (first on its most requested page, so diffs show it early). */
export { RENAMED_PRODUCT, SHADOW_DEMO_ROUTE }
/** Pages the page cache holds before the load (page 1 by id shows the renamed product). */
const WARM_URLS = ['id', 'price', '-price', 'name'].flatMap((sort) => [1, 2, 3].map((page) => `/api/products?page=${page}&sort=${sort}`))

export interface ShadowDemoOptions {
  mysqlUrl: string
  redisUrl: string
  database: string
  /** Prefix of this run's object cache, queue, pages and meter (cleared first). */
  prefix: string
  durationSeconds: number
  connections: number
  /** Share of products.list requests shadowed. */
  sampleRate: number
  /**
   * Seconds into the load at which the product is renamed; 0 renames it before the load, when no
   * refresh job can race the rename (a legacy job that read the row just before it may otherwise
   * put the old name back in the object cache for a moment). @default a third of the duration
   */
  renameAtSeconds?: number
  outDir: string
  log: (line: string) => void
}

export interface ShadowDemoResult {
  report: ShadowReport
  files: ShadowDemoFiles
  load: LoadResult
  /** Shadow records this run produced (all stored unless the writer dropped some). */
  records: number
}

const SHADOW_TABLES = ['shadow_samples', 'shadow_diffs', 'shadow_examples', 'shadow_reservoir', 'shadow_daily', 'shadow_noise']

/** Puts the renamed product back to its seeded row, so every run starts from the same data. */
async function restoreRenamed(pool: Pool): Promise<void> {
  const [, , name, priceCents, updatedAt] = seedProduct(RENAMED_PRODUCT)
  await pool.query('UPDATE products SET name = ?, price_cents = ?, updated_at = ? WHERE id = ?', [name, priceCents, updatedAt, RENAMED_PRODUCT])
}

/** Renames the product as the legacy app's writers do: MySQL, then its object key; the page cache is not told. */
async function renameLegacyWay(catalog: LegacyCatalog): Promise<string> {
  const name = `${seedProduct(RENAMED_PRODUCT)[2]} (renamed)`
  await catalog.update(RENAMED_PRODUCT, { name })
  await catalog.refresh(RENAMED_PRODUCT)
  return name
}

async function prepare(pool: Pool, redis: Redis, options: ShadowDemoOptions): Promise<void> {
  const started = Date.now()
  const rows = await seedDemoData(pool, DEMO_PRODUCTS)
  await restoreRenamed(pool)
  const migrated = await migrate({ url: databaseUrl(options.mysqlUrl, options.database) })
  // This run's rows only: the demo database's shadow tables belong to the demo.
  for (const table of SHADOW_TABLES) await pool.query(`DELETE FROM ${table} WHERE route = ?`, [SHADOW_DEMO_ROUTE])
  await deleteKeys(redis, `${options.prefix}:v1:*`)
  options.log(
    `database ${options.database}: ${rows.toLocaleString('en-US')} products, shadow tables ${migrated.applied.length > 0 ? `created (${migrated.applied.join(', ')})` : 'up to date'}, ` +
      `earlier ${SHADOW_DEMO_ROUTE} shadow rows and keys under ${options.prefix}: cleared (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  )
}

/** Waits until every shadow the runner started has reached the sink (bounded). */
async function settle(app: FastifyInstance, runner: ShadowRunner, sunk: () => number, ms: number): Promise<void> {
  // Counted from the plugin's side: a shadow it has started may not have reached the runner yet
  // (it begins on the next turn of the event loop). Each one ends in a record, a skip or a failure.
  const settled = (): boolean => {
    const path = app.cutover.paths()[SHADOW_DEMO_ROUTE]
    if (!path) return true
    const { method, breaker, busy } = runner.stats().skipped
    return sunk() + method + breaker + busy + path.shadowFailed + path.shadowTimedOut >= path.shadowed
  }
  const until = Date.now() + ms
  while (!settled() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
}

/** Renders a few pages on the page path and stores them, over HTTP (the host is part of a page's key), then turns shadow mode on. */
async function warm(url: string, flags: StaticFlagSource, options: ShadowDemoOptions): Promise<void> {
  for (const path of WARM_URLS) {
    const res = await fetch(url + path)
    await res.arrayBuffer()
  }
  options.log(`page cache warmed: ${WARM_URLS.length} pages of ${SHADOW_DEMO_ROUTE} rendered on the page path and stored (route on for this step)`)
  flags.set({ [SHADOW_DEMO_ROUTE]: { mode: 'shadow', shadowRate: options.sampleRate } })
}

interface Run {
  /** Where the app listens. */
  url: string
  runner: ShadowRunner
  /** The legacy data access on the run's own (unmetered) clients, for the rename. */
  catalog: LegacyCatalog
}

async function drive({ runner, catalog, url }: Run, options: ShadowDemoOptions): Promise<LoadResult> {
  options.log(`${SHADOW_DEMO_ROUTE} in shadow mode at ${Number((options.sampleRate * 100).toFixed(2))}%; ${options.durationSeconds} s of load at ${url}, ${options.connections} connections, no writes`)
  const renameAt = options.renameAtSeconds ?? Math.max(1, Math.floor(options.durationSeconds / 3))
  const announce = (when: string) => (name: string): void =>
    options.log(`  ${when}: product ${RENAMED_PRODUCT} renamed to "${name}" the legacy way (MySQL, object key refreshed, no page purge): its cached page is now stale`)
  if (renameAt === 0) announce('before the load')(await renameLegacyWay(catalog))
  let renamed: Promise<void> = Promise.resolve()
  const load = await driveLoad({
    url, durationSeconds: options.durationSeconds, connections: options.connections, writeShare: 0,
    onTick: (elapsed, requests) => {
      if (renameAt > 0 && elapsed === renameAt) renamed = renameLegacyWay(catalog).then(announce(`${elapsed} s`))
      if (elapsed % 5 === 0 && elapsed < options.durationSeconds) {
        const s = runner.stats()
        options.log(`  ${elapsed} s: ${requests.toLocaleString('en-US')} requests, ${s.ran} shadows compared (${s.skipped.busy} skipped busy)`)
      }
    },
  })
  await renamed
  options.log(`load: ${load.requests.toLocaleString('en-US')} requests, ${Math.round(load.requestsPerSecond)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms`)
  return load
}

/**
 * The shadow proof on the legacy demo: `products.list` in shadow mode with two
 * deliberate differences (the page handler rounds prices; list pages carry
 * their render time) and a product renamed the legacy way part-way through,
 * so its cached page is stale. Writes the shadow report of this run.
 */
export async function runShadowDemo(options: ShadowDemoOptions): Promise<ShadowDemoResult> {
  const started = Date.now()
  return withDemoServices(options, async ({ pool, redis }) => {
    options.log(`MySQL ${redactUrl(databaseUrl(options.mysqlUrl, options.database))}, Redis ${redactUrl(options.redisUrl)}`)
    await prepare(pool, redis, options)
    const writer = createShadowWriter({ pool, pruneEveryMs: 0 })
    let sunk = 0
    const runner = createShadowRunner({
      sink: { write: (r: ShadowRecord) => (sunk++, writer.write(r)) },
      source: loopbackCandidateSource({ readCached: pageCacheReader() }),
      // A short run: a diff for most mismatches, so every example in the report shows one.
      maxPatchesPerMinute: 600,
    })
    // Every other route stays legacy (a route a static source doesn't name is off).
    const flags = new StaticFlagSource({ [SHADOW_DEMO_ROUTE]: 'on' })
    let stack: DemoStack | undefined
    let from: number
    let to: number
    let load: LoadResult
    try {
      stack = await startDemoStack({
        pool, redis, prefix: options.prefix, queue: 'list', pageCache: true,
        cutover: { flags, shadow: runner.handler }, faults: { roundPrices: true, generatedAt: true },
      })
      const url = await stack.app.listen({ port: 0, host: '127.0.0.1' })
      await warm(url, flags, options)
      from = Date.now()
      load = await drive({ url, runner, catalog: new LegacyCatalog(pool, redis, options.prefix) }, options)
      await settle(stack.app, runner, () => sunk, 5000)
    } finally {
      // The writer too when the stack never started: its timers and queue are open from creation.
      await closeAll([() => stack?.close(), () => writer.close()])
      // After the app is closed: a request still in flight when the load ended may have started one more shadow.
      to = Date.now()
      // The legacy worker's leftover backlog is this run's own; the next run starts clean anyway.
      await deleteKeys(redis, `${options.prefix}:v1:queue:*`)
    }
    const dropped = writer.stats().dropped
    options.log(`${sunk} shadow records, ${sunk - dropped} stored${dropped > 0 ? ` (${dropped} dropped by the writer)` : ''}`)
    const { report, files, summary } = await writeShadowDemoReport(pool, { route: SHADOW_DEMO_ROUTE, from, to: to + 1, outDir: options.outDir })
    for (const line of summary) options.log(line)
    options.log(`report: ${files.html} (also ${files.md}, ${files.json}); took ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return { report, files, load, records: sunk }
  })
}
