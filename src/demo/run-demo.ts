import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { readMeter } from '../meter/read.js'
import { summarize, type AmplificationReport, type AmplificationSnapshot } from '../report/amplification.js'
import { writeReportFiles } from '../report/files.js'
import { renderTerminal } from '../report/render-text.js'
import { driveLoadApart, type LoadResult } from './load.js'
import { DEMO_PRODUCTS, seedDemoData } from './schema.js'
import { databaseUrl, deleteKeys, redactUrl, withDemoServices } from './services.js'
import { startDemoStack, type QueueDriverName } from './stack.js'

export interface DemoRunOptions {
  mysqlUrl: string
  redisUrl: string
  database: string
  /** Prefix of the demo's object cache, queue and pages; the meter uses `<prefix>-legacy` and `<prefix>-pagecache`. */
  prefix: string
  queue: QueueDriverName
  /** Seconds of load per phase. */
  durationSeconds: number
  connections: number
  /** Longest wait for the worker to run the legacy phase's jobs, seconds. */
  drainSeconds: number
  workerConcurrency: number
  /** Where the report files go. */
  outDir: string
  log: (line: string) => void
}

export interface PhaseResult {
  snapshot: AmplificationSnapshot
  load: LoadResult
  /** Refresh jobs still queued when the phase ended (dropped before the next phase). */
  leftover: number
}

export interface DemoRunResult {
  report: AmplificationReport
  phases: PhaseResult[]
  files: { html: string; md: string; json: string }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`

async function runPhase(pool: Pool, redis: Redis, options: DemoRunOptions, pageCache: boolean): Promise<PhaseResult> {
  const label = pageCache ? 'page cache' : 'legacy'
  const meterPrefix = `${options.prefix}-${pageCache ? 'pagecache' : 'legacy'}`
  await deleteKeys(redis, `${meterPrefix}:v1:meter:*`)
  const stack = await startDemoStack({
    pool, redis, prefix: options.prefix, meterPrefix, queue: options.queue, pageCache, workerConcurrency: options.workerConcurrency,
  })
  const from = Date.now()
  let closed = false
  try {
    const url = await stack.app.listen({ port: 0, host: '127.0.0.1' })
    options.log(`[${label}] ${options.durationSeconds} s of load at ${url}, ${options.connections} connections (lists, category pages, products, 1% writes)`)
    // The load from a process of its own: on the app's event loop it would take the CPU the app is measured on.
    const generator = driveLoadApart({ url, durationSeconds: options.durationSeconds, connections: options.connections })
    await generator.ready
    const loadStart = Date.now()
    const progress = setInterval(() => {
      const elapsed = Math.round((Date.now() - loadStart) / 1000)
      void stack.queue.depth().then((depth) => options.log(`[${label}]   ${elapsed} s: refresh queue depth ${depth.toLocaleString('en-US')}`), () => undefined)
    }, 5000)
    let load: LoadResult
    try {
      load = await generator.done
    } finally {
      clearInterval(progress)
    }
    options.log(`[${label}] ${load.requests.toLocaleString('en-US')} requests, ${Math.round(load.requestsPerSecond)} req/s, p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms${load.errors + load.non2xx > 0 ? `, ${load.errors} errors, ${load.non2xx} non-2xx` : ''}`)
    // Let the worker run what the load enqueued: its reads are part of what the requests cost.
    const drainStart = Date.now()
    let depth = await stack.queue.depth()
    let lastLog = 0
    while (depth > 0 && Date.now() - drainStart < options.drainSeconds * 1000) {
      if (Date.now() - lastLog >= 3000) {
        options.log(`[${label}] worker running the refresh backlog: ${depth.toLocaleString('en-US')} jobs left`)
        lastLog = Date.now()
      }
      await new Promise((resolve) => setTimeout(resolve, 250))
      depth = await stack.queue.depth()
    }
    if (depth === 0 && Date.now() - drainStart > 500) options.log(`[${label}] refresh backlog done in ${seconds(Date.now() - drainStart)}`)
    await stack.close()
    closed = true
    const reading = await readMeter({ redis, prefix: meterPrefix, from, to: Date.now() })
    const snapshot = summarize(reading, { label, durationSeconds: load.durationSeconds })
    if (depth > 0) {
      // Draining a backlog safely is the drainer's work; the demo only needs a clean next phase.
      await deleteKeys(redis, `${options.prefix}:v1:queue:*`)
      await deleteKeys(redis, `${options.prefix}:v1:bullmq:*`)
      options.log(`[${label}] ${depth.toLocaleString('en-US')} refresh jobs still queued after ${options.drainSeconds} s: counted as owed reads, then dropped (draining a backlog safely is the drainer's work)`)
    }
    return { snapshot, load, leftover: depth }
  } finally {
    if (!closed) await stack.close()
  }
}

/**
 * The whole demo: seed, measure the legacy app under load, then the same load
 * with the page cache on for the read routes, and write the report.
 */
export async function runDemo(options: DemoRunOptions): Promise<DemoRunResult> {
  const started = Date.now()
  return withDemoServices(options, async ({ pool, redis }) => {
    options.log(`MySQL ${redactUrl(databaseUrl(options.mysqlUrl, options.database))}, Redis ${redactUrl(options.redisUrl)}, queue driver ${options.queue}`)
    const rows = await seedDemoData(pool, DEMO_PRODUCTS)
    options.log(`database ${options.database}: ${rows.toLocaleString('en-US')} products (seeded if missing) in ${seconds(Date.now() - started)}`)
    // A clean start: the demo's own object cache, queue and pages.
    await deleteKeys(redis, `${options.prefix}:v1:*`)

    const legacy = await runPhase(pool, redis, options, false)
    const legacyReport: AmplificationReport = { title: 'cutover demo: the legacy app', generatedAt: new Date().toISOString(), phases: [legacy.snapshot] }
    options.log('')
    options.log(renderTerminal(legacyReport))

    options.log('Turning the page cache on for the read routes; their refresh jobs stop.')
    const paged = await runPhase(pool, redis, options, true)
    const report: AmplificationReport = {
      title: 'cutover demo: legacy object caching vs page cache',
      generatedAt: new Date().toISOString(),
      phases: [legacy.snapshot, paged.snapshot],
    }
    options.log('')
    options.log(renderTerminal(report))
    const stamp = new Date().toISOString().replace(/[:.]/g, '-')
    const files = await writeReportFiles(report, options.outDir, `amplification-${stamp}`)
    options.log(`report: ${files.html} (also ${files.md}, ${files.json}); demo took ${seconds(Date.now() - started)}`)
    return { report, phases: [legacy, paged], files }
  })
}
