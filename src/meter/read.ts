import { asRedis, type RedisInput } from '../redis-script.js'
import { CUTOVER_ERR_REPORT_WINDOW_INVALID } from '../errors.js'
import { COUNTERS } from './counts.js'
import { meterKeys, parseCounterField } from './keys.js'

/** One route's counters added up over a window. */
export interface RouteTotals {
  route: string
  /** Counter name -> sum (see COUNTERS). */
  counters: Record<string, number>
  /** Latency histogram: bucket index -> count (see histogram.ts). */
  latency: Map<number, number>
  /** The same split by the path that served each response (`cutover-path`), for opted-in routes. */
  paths?: { page?: PathTotals; legacy?: PathTotals }
}

/** One path's counters (requests, errors, queries, jobs) and latency histogram. */
export interface PathTotals {
  counters: Record<string, number>
  latency: Map<number, number>
}

export interface QueueGauges {
  name: string
  /** Deepest the queue was seen in the window. */
  depthMax: number
  /** Depth at the last sample in the window. */
  depthLast: number
}

export interface MeterReading {
  /** Window asked for, epoch ms. */
  from: number
  to: number
  bucketSeconds: number
  /** Start of the first and end of the last bucket that held data (epoch ms), if any did. */
  dataFrom?: number
  dataTo?: number
  user: Map<string, RouteTotals>
  shadow: Map<string, RouteTotals>
  queues: Map<string, QueueGauges>
  /** Route -> refresh jobs enqueued and not yet run, now (not windowed). */
  backlog: Map<string, number>
}

export interface ReadMeterOptions {
  /** The meter's Redis, an ioredis 5 or 6 client. */
  redis: RedisInput
  /** @default 'cutover' */
  prefix?: string
  /** Must match the meter's. @default 60 */
  bucketSeconds?: number
  /** Window, epoch ms; buckets overlapping it are read whole. */
  from: number
  to: number
}

/** At most this many buckets per read (a week of minutes). */
const MAX_BUCKETS = 10_080

/** Adds up the meter's buckets over a window, from Redis. */
export async function readMeter(options: ReadMeterOptions): Promise<MeterReading> {
  const bucketSeconds = options.bucketSeconds ?? 60
  const { from, to } = options
  if (!Number.isFinite(from) || !Number.isFinite(to) || from > to) {
    throw new CUTOVER_ERR_REPORT_WINDOW_INVALID('from <= to', `from ${from}, to ${to}`)
  }
  const first = Math.floor(from / 1000 / bucketSeconds) * bucketSeconds
  const last = Math.floor(to / 1000 / bucketSeconds) * bucketSeconds
  const count = (last - first) / bucketSeconds + 1
  if (count > MAX_BUCKETS) {
    throw new CUTOVER_ERR_REPORT_WINDOW_INVALID(`of at most ${MAX_BUCKETS} buckets of ${bucketSeconds}s`, `${count} buckets`)
  }
  const keys = meterKeys(options.prefix ?? 'cutover')
  const pipeline = asRedis(options.redis).pipeline()
  for (let start = first; start <= last; start += bucketSeconds) pipeline.hgetall(keys.bucket(bucketSeconds, start))
  pipeline.hgetall(keys.backlog())
  const results = (await pipeline.exec()) ?? []
  const reading: MeterReading = { from, to, bucketSeconds, user: new Map(), shadow: new Map(), queues: new Map(), backlog: new Map() }
  results.slice(0, -1).forEach(([err, hash], i) => {
    if (err) throw err
    const fields = Object.entries((hash ?? {}) as Record<string, string>)
    if (fields.length === 0) return
    const start = (first + i * bucketSeconds) * 1000
    reading.dataFrom ??= start
    reading.dataTo = start + bucketSeconds * 1000
    for (const [field, raw] of fields) addField(reading, field, Number(raw))
  })
  const [backlogErr, backlog] = results[results.length - 1] ?? [null, {}]
  if (backlogErr) throw backlogErr
  for (const [route, n] of Object.entries((backlog ?? {}) as Record<string, string>)) reading.backlog.set(route, Math.max(0, Number(n)))
  return reading
}

function addField(reading: MeterReading, field: string, value: number): void {
  const parsed = parseCounterField(field)
  if (!parsed || !Number.isFinite(value)) return
  if (parsed.scope === 'queue') {
    const gauges = reading.queues.get(parsed.route) ?? { name: parsed.route, depthMax: 0, depthLast: 0 }
    // Buckets are added oldest first, so the last one seen is the latest.
    if (parsed.counter === COUNTERS.depthMax) gauges.depthMax = Math.max(gauges.depthMax, value)
    if (parsed.counter === COUNTERS.depthLast) gauges.depthLast = value
    reading.queues.set(parsed.route, gauges)
    return
  }
  const routes = parsed.scope === 'shadow' ? reading.shadow : reading.user
  let totals = routes.get(parsed.route)
  if (!totals) routes.set(parsed.route, (totals = { route: parsed.route, counters: {}, latency: new Map() }))
  if (parsed.counter.startsWith(COUNTERS.path)) {
    addPathField(totals, parsed.counter.slice(COUNTERS.path.length), value)
  } else if (parsed.counter.startsWith(COUNTERS.latency)) {
    const i = Number(parsed.counter.slice(COUNTERS.latency.length))
    totals.latency.set(i, (totals.latency.get(i) ?? 0) + value)
  } else {
    totals.counters[parsed.counter] = (totals.counters[parsed.counter] ?? 0) + value
  }
}

/** `page.requests`, `legacy.lat.12`, ... into the route's per-path totals. */
function addPathField(totals: RouteTotals, rest: string, value: number): void {
  const dot = rest.indexOf('.')
  const path = rest.slice(0, dot)
  if (path !== 'page' && path !== 'legacy') return
  const paths = (totals.paths ??= {})
  const into = (paths[path] ??= { counters: {}, latency: new Map() })
  const counter = rest.slice(dot + 1)
  if (counter.startsWith(COUNTERS.latency)) {
    const i = Number(counter.slice(COUNTERS.latency.length))
    into.latency.set(i, (into.latency.get(i) ?? 0) + value)
  } else {
    into.counters[counter] = (into.counters[counter] ?? 0) + value
  }
}
