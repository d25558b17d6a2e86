import { quantileMs } from '../meter/histogram.js'
import { COUNTERS } from '../meter/counts.js'
import type { MeterReading, RouteTotals } from '../meter/read.js'

/** What one route cost over a window. Ratios are null where there were no requests. */
export interface RouteFigures {
  route: string
  requests: number
  errors: number
  inlineQueries: number
  refreshJobs: number
  refreshReads: number
  /** Refresh jobs the worker (or a drainer) finished in the window. */
  jobsDone: number
  /** The producer gate's decisions on the route's jobs (0 without a gate): queued, deduped, dropped. */
  gatePassed: number
  gateDeduped: number
  gateDropped: number
  /**
   * Refresh reads still owed: jobs enqueued in the window and not yet run
   * (less those the gate deduped or dropped: they never run), times the
   * reads per job measured on the jobs that did run (0 when none ran).
   */
  refreshReadsOwed: number
  /** inlineQueries + refreshReads + refreshReadsOwed */
  dbCalls: number
  /** dbCalls / requests: what a request costs the database, including refresh reads still queued. */
  dbCallsPerRequest: number | null
  /** (inlineQueries + refreshReads) / requests: only the calls already made. */
  dbCallsMadePerRequest: number | null
  redisCommands: number
  redisPerRequest: number | null
  requestsPerSecond: number
  p50Ms: number | null
  p99Ms: number | null
  meanMs: number | null
  /** Share of page-cache responses that were hits; null when the page cache never answered. */
  hitRatio: number | null
  /** Refresh jobs of this route enqueued and not yet run (at read time). */
  backlog: number
}

export interface AmplificationSnapshot {
  /** What this window shows, e.g. 'legacy' or 'page cache'. */
  label: string
  /** ISO times of the window. */
  from: string
  to: string
  durationSeconds: number
  /** User traffic, most DB calls first; work outside any request is route '(background)'. */
  routes: RouteFigures[]
  /** All user traffic together. */
  total: RouteFigures
  /** Shadow renders, kept apart from user traffic. */
  shadow: RouteFigures[]
  queues: Array<{ name: string; depthMax: number; depthLast: number }>
}

export interface AmplificationReport {
  title: string
  generatedAt: string
  /** One snapshot, or several to compare (the first is the baseline). */
  phases: AmplificationSnapshot[]
}

const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null)

function figures(totals: RouteTotals, durationSeconds: number, backlog: number): RouteFigures {
  const c = (name: string): number => totals.counters[name] ?? 0
  const requests = c(COUNTERS.requests)
  const inlineQueries = c(COUNTERS.queries)
  const refreshReads = c(COUNTERS.refreshReads)
  const jobs = c(COUNTERS.jobs)
  const jobsDone = c(COUNTERS.jobsDone)
  const gateDeduped = c(COUNTERS.gateDeduped)
  const gateDropped = c(COUNTERS.gateDropped)
  const refreshReadsOwed = jobsDone > 0 ? Math.max(0, jobs - gateDeduped - gateDropped - jobsDone) * (refreshReads / jobsDone) : 0
  const dbCalls = inlineQueries + refreshReads + refreshReadsOwed
  const redisCommands = c(COUNTERS.redis)
  const lookups = c(COUNTERS.cacheLookups)
  return {
    route: totals.route,
    requests,
    errors: c(COUNTERS.errors),
    inlineQueries,
    refreshJobs: jobs,
    refreshReads,
    jobsDone,
    gatePassed: c(COUNTERS.gatePassed),
    gateDeduped,
    gateDropped,
    refreshReadsOwed,
    dbCalls,
    dbCallsPerRequest: ratio(dbCalls, requests),
    dbCallsMadePerRequest: ratio(inlineQueries + refreshReads, requests),
    redisCommands,
    redisPerRequest: ratio(redisCommands, requests),
    requestsPerSecond: durationSeconds > 0 ? requests / durationSeconds : 0,
    p50Ms: quantileMs(totals.latency, 0.5) ?? null,
    p99Ms: quantileMs(totals.latency, 0.99) ?? null,
    meanMs: requests > 0 ? c(COUNTERS.latencySumUs) / 1000 / requests : null,
    hitRatio: ratio(c(COUNTERS.cacheHits), lookups),
    backlog,
  }
}

function merge(route: string, all: Iterable<RouteTotals>): RouteTotals {
  const merged: RouteTotals = { route, counters: {}, latency: new Map() }
  for (const totals of all) {
    for (const [k, v] of Object.entries(totals.counters)) merged.counters[k] = (merged.counters[k] ?? 0) + v
    for (const [i, n] of totals.latency) merged.latency.set(i, (merged.latency.get(i) ?? 0) + n)
  }
  return merged
}

export interface SummarizeOptions {
  label: string
  /**
   * Seconds the traffic ran, for requests/s.
   * @default the span of the buckets that held data, within the window
   */
  durationSeconds?: number
}

/** Turns a meter reading into the figures a report shows (pure). */
export function summarize(reading: MeterReading, options: SummarizeOptions): AmplificationSnapshot {
  const dataFrom = Math.max(reading.from, reading.dataFrom ?? reading.from)
  const dataTo = Math.min(reading.to, reading.dataTo ?? reading.to)
  const durationSeconds = options.durationSeconds ?? Math.max(0, (dataTo - dataFrom) / 1000)
  const byDbCalls = (a: RouteFigures, b: RouteFigures): number => b.dbCalls - a.dbCalls || a.route.localeCompare(b.route)
  const routes = [...reading.user.values()]
    .map((t) => figures(t, durationSeconds, reading.backlog.get(t.route) ?? 0))
    .sort(byDbCalls)
  let backlogTotal = 0
  for (const n of reading.backlog.values()) backlogTotal += n
  return {
    label: options.label,
    from: new Date(reading.from).toISOString(),
    to: new Date(reading.to).toISOString(),
    durationSeconds,
    routes,
    total: figures(merge('all routes', reading.user.values()), durationSeconds, backlogTotal),
    shadow: [...reading.shadow.values()].map((t) => figures(t, durationSeconds, 0)).sort(byDbCalls),
    queues: [...reading.queues.values()].sort((a, b) => a.name.localeCompare(b.name)),
  }
}

/** A number for people: integers as they are, others to `digits` significant places. */
export function formatNumber(value: number | null, digits = 3): string {
  if (value === null) return '-'
  if (Number.isInteger(value)) return value.toLocaleString('en-US')
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US')
  return Number(value.toPrecision(digits)).toString()
}

export function formatMs(value: number | null): string {
  return value === null ? '-' : `${formatNumber(value, 3)} ms`
}

export function formatPercent(value: number | null): string {
  return value === null ? '-' : `${(value * 100).toFixed(1)}%`
}

/** What the table's figures mean (printed under it in every format). */
export const FIGURES_NOTE =
  'DB/request = (inline queries + refresh reads the worker made for the route + refresh reads still owed) / requests; ' +
  'owed = the route\'s jobs not yet run in the window (less those the gate deduped or dropped) times the reads per job measured on those that ran; ' +
  'gate = the producer gate\'s decisions on the route\'s jobs: queued/deduped/dropped.'

/** Rows of a before/after comparison: [label, before, after, change]. */
export function comparisonRows(before: AmplificationSnapshot, after: AmplificationSnapshot): string[][] {
  const b = before.total
  const a = after.total
  const depth = (s: AmplificationSnapshot): number => s.queues.reduce((m, q) => Math.max(m, q.depthMax), 0)
  const change = (x: number | null, y: number | null): string => {
    if (x === null || y === null || x === 0) return '-'
    const r = y / x
    return r >= 1 ? `${formatNumber(r, 3)}x` : `${formatNumber(r, 2)}x (-${((1 - r) * 100).toFixed(1)}%)`
  }
  return [
    ['DB calls per request', formatNumber(b.dbCallsPerRequest), formatNumber(a.dbCallsPerRequest), change(b.dbCallsPerRequest, a.dbCallsPerRequest)],
    ['  of which made so far', formatNumber(b.dbCallsMadePerRequest), formatNumber(a.dbCallsMadePerRequest), change(b.dbCallsMadePerRequest, a.dbCallsMadePerRequest)],
    ['requests/s', formatNumber(b.requestsPerSecond), formatNumber(a.requestsPerSecond), change(b.requestsPerSecond, a.requestsPerSecond)],
    ['p50 latency', formatMs(b.p50Ms), formatMs(a.p50Ms), change(b.p50Ms, a.p50Ms)],
    ['p99 latency', formatMs(b.p99Ms), formatMs(a.p99Ms), change(b.p99Ms, a.p99Ms)],
    ['queue depth (max)', formatNumber(depth(before)), formatNumber(depth(after)), change(depth(before), depth(after))],
    ['page-cache hit ratio', formatPercent(b.hitRatio), formatPercent(a.hitRatio), '-'],
    ['Redis commands per request', formatNumber(b.redisPerRequest), formatNumber(a.redisPerRequest), change(b.redisPerRequest, a.redisPerRequest)],
  ]
}

/** Columns of the per-route table: header and cell of one route. */
export const ROUTE_COLUMNS: Array<[string, (r: RouteFigures) => string]> = [
  ['route', (r) => r.route],
  ['requests', (r) => formatNumber(r.requests)],
  ['req/s', (r) => formatNumber(r.requestsPerSecond)],
  ['inline DB', (r) => formatNumber(r.inlineQueries)],
  ['jobs', (r) => formatNumber(r.refreshJobs)],
  ['refresh DB', (r) => formatNumber(r.refreshReads)],
  ['owed', (r) => formatNumber(Math.round(r.refreshReadsOwed))],
  ['DB/request', (r) => formatNumber(r.dbCallsPerRequest)],
  ['Redis/request', (r) => formatNumber(r.redisPerRequest)],
  ['p50', (r) => formatMs(r.p50Ms)],
  ['p99', (r) => formatMs(r.p99Ms)],
  ['hit ratio', (r) => formatPercent(r.hitRatio)],
  ['backlog', (r) => formatNumber(r.backlog)],
  ['gate pass/dedupe/drop', (r) => (r.gatePassed + r.gateDeduped + r.gateDropped > 0 ? `${formatNumber(r.gatePassed)}/${formatNumber(r.gateDeduped)}/${formatNumber(r.gateDropped)}` : '-')],
]
