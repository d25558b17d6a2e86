import { createRequire } from 'node:module'
import type * as PromClient from 'prom-client'
import type { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { parseCounterField } from './keys.js'

/** Counter name -> Prometheus metric it is exported as (labels route, traffic, and kind for DB calls). */
const EXPORTED: Record<string, { metric: string; kind?: string }> = {
  requests: { metric: 'requests' },
  errors: { metric: 'errors' },
  queries: { metric: 'db', kind: 'inline' },
  refreshReads: { metric: 'db', kind: 'refresh' },
  jobs: { metric: 'jobs' },
  jobsDone: { metric: 'jobsDone' },
  redis: { metric: 'redis' },
  cacheLookups: { metric: 'cacheLookups' },
  cacheHits: { metric: 'cacheHits' },
}

/**
 * The meter's figures for this process as Prometheus metrics. Counters are
 * read from the meter's totals when scraped (nothing extra on the hot path);
 * Prometheus adds the processes up itself.
 */
export class PromExport {
  /** Totals already sent to Redis, by counter field. */
  readonly sent = new Map<string, number>()
  private readonly duration: Histogram<'route' | 'traffic'>
  private readonly depth: Gauge<'queue'>

  constructor(registry: Registry, totals: () => Map<string, number>) {
    // Loaded here, not at import: only a meter given a registry needs prom-client (an optional peer dependency).
    const { Counter, Gauge, Histogram } = createRequire(import.meta.url)('prom-client') as typeof PromClient
    const counters: Record<string, Counter<string>> = {}
    // The first counter's collect() refreshes every counter from the meter's
    // totals; the registry collects metrics in the order they were defined.
    const refresh = (): void => {
      for (const counter of Object.values(counters)) counter.reset()
      for (const [field, value] of totals()) {
        const parsed = parseCounterField(field)
        const exported = parsed && EXPORTED[parsed.counter]
        if (!parsed || !exported || parsed.scope === 'queue') continue
        const labels: Record<string, string> = { route: parsed.route, traffic: parsed.scope }
        if (exported.kind) labels.kind = exported.kind
        counters[exported.metric]?.inc(labels, value)
      }
    }
    const define = (key: string, name: string, help: string, labelNames: string[]): void => {
      const first = Object.keys(counters).length === 0
      counters[key] = new Counter({ name, help, labelNames, registers: [registry], ...(first ? { collect: refresh } : {}) })
    }
    define('requests', 'cutover_meter_requests_total', 'Requests served, by route', ['route', 'traffic'])
    define('errors', 'cutover_meter_errors_total', 'Requests answered with a 5xx status, by route', ['route', 'traffic'])
    define('db', 'cutover_meter_db_calls_total', 'DB calls charged to a route: inline, or refresh reads its jobs caused', ['route', 'traffic', 'kind'])
    define('jobs', 'cutover_meter_refresh_jobs_enqueued_total', 'Refresh jobs enqueued by a route', ['route', 'traffic'])
    define('jobsDone', 'cutover_meter_refresh_jobs_done_total', 'Refresh jobs run by a worker for a route', ['route', 'traffic'])
    define('redis', 'cutover_meter_redis_commands_total', 'Redis commands charged to a route', ['route', 'traffic'])
    define('cacheLookups', 'cutover_meter_page_cache_responses_total', 'Responses that went through the page cache', ['route', 'traffic'])
    define('cacheHits', 'cutover_meter_page_cache_hits_total', 'Responses served from the page cache', ['route', 'traffic'])
    this.duration = new Histogram({
      name: 'cutover_meter_request_duration_seconds',
      help: 'Request duration, by route',
      labelNames: ['route', 'traffic'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    })
    this.depth = new Gauge({ name: 'cutover_meter_queue_depth', help: 'Refresh queue depth at the last sample', labelNames: ['queue'], registers: [registry] })
  }

  observe(sample: { route: string; shadow: boolean; durationMs: number }): void {
    this.duration.observe({ route: sample.route, traffic: sample.shadow ? 'shadow' : 'user' }, sample.durationMs / 1000)
  }

  queueDepth(queue: string, depth: number): void {
    this.depth.set({ queue }, depth)
  }

  /** Adds a flushed batch (field, value, field, value, ...) to the sent totals. */
  fold(pairs: string[]): void {
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const field = pairs[i] as string
      this.sent.set(field, (this.sent.get(field) ?? 0) + Number(pairs[i + 1]))
    }
  }
}
