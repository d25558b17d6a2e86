import type { Redis, Result } from 'ioredis'
import type { Registry } from 'prom-client'
import { CUTOVER_ERR_METER_OPTIONS_INVALID } from '../errors.js'
import { BACKGROUND_ROUTE, currentMeterContext, runWithMeterContext, type MeterContext } from './context.js'
import { latencyBucket } from './histogram.js'
import { counterField, meterKeys, type CounterScope, type MeterKeys } from './keys.js'
import { PromExport } from './prom.js'
import { flushLua } from './lua/flush.js'

const FLUSH_SCRIPT = flushLua

/** Counter names stored per route (a field is `<scope>|<route>|<counter>`). */
export const COUNTERS = {
  requests: 'requests',
  /** Requests answered with a 5xx status. */
  errors: 'errors',
  /** DB calls made while serving the request itself. */
  queries: 'queries',
  /** Refresh jobs the route's requests enqueued. */
  jobs: 'jobs',
  /** DB calls the worker made running those jobs (charged back to the route). */
  refreshReads: 'refreshReads',
  /** Refresh jobs a worker finished for the route. */
  jobsDone: 'jobsDone',
  /** Redis commands (pipelines and MULTI count each command they carry). */
  redis: 'redis',
  /** Responses that carried a page-cache status, and those that were hits. */
  cacheLookups: 'cacheLookups',
  cacheHits: 'cacheHits',
  /** Sum of request durations, microseconds. */
  latencySumUs: 'latencySumUs',
  /** Prefix of the latency histogram buckets (`lat.<i>`, see histogram.ts). */
  latency: 'lat.',
  /** Queue gauges (scope `queue`, route = queue name). */
  depthMax: 'depthMax',
  depthLast: 'depthLast',
} as const

export interface MeterOptions {
  /** Redis the counters are written to. Pass a client that is not itself metered. */
  redis: Redis
  /**
   * Key prefix: counters live under `<prefix>:v1:meter:`.
   * @default 'cutover'
   */
  prefix?: string
  /**
   * Length of a time bucket; reports choose their window in these steps.
   * @default 60
   */
  bucketSeconds?: number
  /**
   * How long a bucket is kept in Redis.
   * @default 172800 (two days)
   */
  retentionSeconds?: number
  /**
   * How often counts collected in this process are sent to Redis (one script
   * call per bucket per flush, never one per query). 0 disables the timer:
   * call flush() yourself.
   * @default 1000
   */
  flushIntervalMs?: number
  /** prom-client registry to export this process's counts to (`/metrics`). */
  registry?: Registry
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number
}

export interface RequestSample {
  route: string
  shadow: boolean
  durationMs: number
  statusCode: number
  /** The response's Cache-Status header, when the page cache answered or forwarded. */
  cacheStatus?: string | undefined
}

type Counts = Map<string, number>

function positiveInteger(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new CUTOVER_ERR_METER_OPTIONS_INVALID(`${name} to be a ${allowZero ? 'non-negative' : 'positive'} integer`, JSON.stringify(value))
  }
  return value
}

function add(counts: Counts, field: string, n: number): void {
  counts.set(field, (counts.get(field) ?? 0) + n)
}

/**
 * Counts per route what each request costs: DB calls inline and through the
 * refresh jobs it causes, Redis commands, latency. Counts collect in memory
 * and go to Redis in batches, so every process of a deployment adds into the
 * same per-bucket hashes.
 */
export class Meter {
  readonly prefix: string
  readonly bucketSeconds: number
  readonly keys: MeterKeys
  /** The prom-client registry given in the options, if any. */
  readonly registry: Registry | undefined
  private readonly redis: Redis
  private readonly retentionSeconds: number
  private readonly now: () => number
  private readonly prom: PromExport | undefined
  private increments = new Map<number, Counts>()
  private maxima = new Map<number, Counts>()
  private latest = new Map<number, Counts>()
  private backlog: Counts = new Map()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined

  constructor(options: MeterOptions) {
    if (options === null || typeof options !== 'object' || typeof options.redis?.evalsha !== 'function') {
      throw new CUTOVER_ERR_METER_OPTIONS_INVALID('redis to be an ioredis client', typeof options?.redis)
    }
    if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix === '')) {
      throw new CUTOVER_ERR_METER_OPTIONS_INVALID('prefix to be a non-empty string', JSON.stringify(options.prefix))
    }
    this.redis = options.redis
    this.prefix = options.prefix ?? 'cutover'
    this.bucketSeconds = positiveInteger('bucketSeconds', options.bucketSeconds, 60)
    this.retentionSeconds = positiveInteger('retentionSeconds', options.retentionSeconds, 172_800)
    const flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs, 1000, true)
    this.now = options.now ?? Date.now
    this.keys = meterKeys(this.prefix)
    this.registry = options.registry
    this.prom = options.registry ? new PromExport(options.registry, () => this.cumulative()) : undefined
    if (!this.redis.flushMeter) this.redis.defineCommand('flushMeter', { numberOfKeys: 2, lua: FLUSH_SCRIPT })
    if (flushIntervalMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs)
      this.timer.unref()
    }
  }

  private bucketOf(): number {
    const sec = Math.floor(this.now() / 1000)
    return sec - (sec % this.bucketSeconds)
  }

  private countsFor(map: Map<number, Counts>): Counts {
    const bucket = this.bucketOf()
    let counts = map.get(bucket)
    if (!counts) map.set(bucket, (counts = new Map()))
    return counts
  }

  private charge(context: MeterContext | undefined, counter: string, n: number): void {
    const scope: CounterScope = context?.shadow ? 'shadow' : 'user'
    add(this.countsFor(this.increments), counterField(scope, context?.route ?? BACKGROUND_ROUTE, counter), n)
  }

  /** One DB call in the current context: inline for a request, a refresh read inside a job. */
  countQuery(): void {
    const context = currentMeterContext()
    if (context?.counts) context.counts.dbCalls++
    this.charge(context, context?.source === 'refresh' ? COUNTERS.refreshReads : COUNTERS.queries, 1)
  }

  /** `n` Redis commands in the current context. */
  countRedis(n: number): void {
    const context = currentMeterContext()
    if (context?.counts) context.counts.redisCalls += n
    this.charge(context, COUNTERS.redis, n)
  }

  /** `n` refresh jobs enqueued on behalf of `origin`. */
  countEnqueued(origin: string, n: number): void {
    add(this.countsFor(this.increments), counterField('user', origin, COUNTERS.jobs), n)
    add(this.backlog, origin, n)
  }

  /** Refresh jobs a shadow render would have enqueued (it enqueues none). */
  countShadowEnqueue(route: string, n: number): void {
    add(this.countsFor(this.increments), counterField('shadow', route, COUNTERS.jobs), n)
  }

  /**
   * One request arriving. Counted on arrival, not on completion, so a request
   * the client gave up on still counts for the DB calls it caused.
   */
  countRequest(route: string, shadow: boolean): void {
    add(this.countsFor(this.increments), counterField(shadow ? 'shadow' : 'user', route, COUNTERS.requests), 1)
  }

  /** One finished request: its status, latency and page-cache outcome (see also countRequest). */
  recordResponse(sample: RequestSample): void {
    const counts = this.countsFor(this.increments)
    const scope: CounterScope = sample.shadow ? 'shadow' : 'user'
    const field = (counter: string): string => counterField(scope, sample.route, counter)
    if (sample.statusCode >= 500) add(counts, field(COUNTERS.errors), 1)
    add(counts, field(COUNTERS.latencySumUs), Math.round(sample.durationMs * 1000))
    add(counts, field(COUNTERS.latency + latencyBucket(sample.durationMs)), 1)
    // A route in mode off answers `cutover; fwd=bypass; detail=mode-off`: not a page-cache response.
    if (sample.cacheStatus !== undefined && /^\s*cutover\s*;/i.test(sample.cacheStatus) && !/detail=mode-off/i.test(sample.cacheStatus)) {
      add(counts, field(COUNTERS.cacheLookups), 1)
      if (/;\s*hit(\s*;|\s*$)/i.test(sample.cacheStatus)) add(counts, field(COUNTERS.cacheHits), 1)
    }
    this.prom?.observe(sample)
  }

  /** countRequest and recordResponse at once, for a request that completed. */
  recordRequest(sample: RequestSample): void {
    this.countRequest(sample.route, sample.shadow)
    this.recordResponse(sample)
  }

  /** A sample of a queue's depth (jobs waiting or running). */
  recordQueueDepth(queue: string, depth: number): void {
    const maxField = counterField('queue', queue, COUNTERS.depthMax)
    const max = this.countsFor(this.maxima)
    max.set(maxField, Math.max(max.get(maxField) ?? 0, depth))
    this.countsFor(this.latest).set(counterField('queue', queue, COUNTERS.depthLast), depth)
    this.prom?.queueDepth(queue, depth)
  }

  /**
   * Runs a refresh job's work charged to the route that enqueued it: DB calls
   * made inside count as that route's refresh reads.
   */
  async runJob<T>(origin: string | undefined, work: () => Promise<T>): Promise<T> {
    const route = origin ?? BACKGROUND_ROUTE
    try {
      return await runWithMeterContext({ route, shadow: false, source: 'refresh' }, work)
    } finally {
      add(this.countsFor(this.increments), counterField('user', route, COUNTERS.jobsDone), 1)
      add(this.backlog, route, -1)
    }
  }

  /** Sends what this process counted so far to Redis. Counts are kept and retried if Redis fails. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing.catch(() => undefined)
    this.flushing = this.send().finally(() => {
      this.flushing = undefined
    })
    return this.flushing
  }

  private async send(): Promise<void> {
    const increments = this.increments
    const maxima = this.maxima
    const latest = this.latest
    const backlog = this.backlog
    this.increments = new Map()
    this.maxima = new Map()
    this.latest = new Map()
    this.backlog = new Map()
    const buckets = new Set([...increments.keys(), ...maxima.keys(), ...latest.keys()])
    if (buckets.size === 0 && backlog.size > 0) buckets.add(this.bucketOf())
    let backlogSent = false
    try {
      for (const bucket of [...buckets].sort((a, b) => a - b)) {
        const pairs = (counts: Counts | undefined): string[] => [...(counts ?? [])].flatMap(([f, v]) => [f, String(v)])
        const inc = pairs(increments.get(bucket))
        const max = pairs(maxima.get(bucket))
        const last = pairs(latest.get(bucket))
        const back = backlogSent ? [] : pairs(backlog)
        await this.redis.flushMeter(
          this.keys.bucket(this.bucketSeconds, bucket), this.keys.backlog(),
          this.retentionSeconds, inc.length / 2, max.length / 2, last.length / 2, back.length / 2,
          ...inc, ...max, ...last, ...back,
        )
        for (const map of [increments, maxima, latest]) map.delete(bucket)
        backlogSent = true
        this.prom?.fold(inc)
      }
    } catch (err) {
      this.restore(increments, maxima, latest, backlogSent ? new Map() : backlog)
      throw err
    }
  }

  /** Puts counts that failed to send back in front of newer ones. */
  private restore(increments: Map<number, Counts>, maxima: Map<number, Counts>, latest: Map<number, Counts>, backlog: Counts): void {
    for (const [bucket, counts] of increments) {
      const into = this.increments.get(bucket) ?? new Map<string, number>()
      for (const [f, v] of counts) add(into, f, v)
      this.increments.set(bucket, into)
    }
    for (const [bucket, counts] of maxima) {
      const into = this.maxima.get(bucket) ?? new Map<string, number>()
      for (const [f, v] of counts) into.set(f, Math.max(into.get(f) ?? 0, v))
      this.maxima.set(bucket, into)
    }
    for (const [bucket, counts] of latest) {
      const into = this.latest.get(bucket) ?? new Map<string, number>()
      for (const [f, v] of counts) if (!into.has(f)) into.set(f, v)
      this.latest.set(bucket, into)
    }
    for (const [route, n] of backlog) add(this.backlog, route, n)
  }

  /** This process's totals since start (sent and unsent), for the Prometheus export. */
  private cumulative(): Counts {
    const totals = new Map(this.prom?.sent ?? [])
    for (const counts of this.increments.values()) for (const [f, v] of counts) add(totals, f, v)
    return totals
  }

  /** Stops the timer and sends what is left. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    await this.flush()
  }
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    flushMeter(...args: [bucketKey: string, backlogKey: string, ...rest: (string | number)[]]): Result<number, Context>
  }
}
