import { createRequire } from 'node:module'
import type * as IORedis from 'ioredis'
import type { Redis } from 'ioredis'
import type { Registry } from 'prom-client'
import { CUTOVER_ERR_METER_OPTIONS_INVALID } from '../errors.js'
import { asRedisClient, type RedisInput } from '../redis-script.js'
import { BACKGROUND_ROUTE, currentMeterContext, runWithMeterContext } from './context.js'
import { CallCounts } from './call-counts.js'
import { COUNTERS, CountBuffer, type Counts } from './counts.js'
import { sendPending } from './flush.js'
import { latencyBucket } from './histogram.js'
import { counterField, meterKeys, type CounterScope, type MeterKeys } from './keys.js'
import { PromExport } from './prom.js'
import { describeValue } from '../describe-value.js'

export { COUNTERS } from './counts.js'

export interface MeterOptions {
  /**
   * Redis the counters are written to: a client (yours: the meter never
   * closes it; pass one that is not itself metered), or a `redis://` URL, for
   * which the meter opens a client of its own and `close()` quits it.
   */
  redis: RedisInput | string
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
  /** Which path served it (the response's `cutover-path`); counted per path as well when given. */
  path?: 'page' | 'legacy' | undefined
  /** The request's own DB calls and refresh jobs (its meter counts), for the per-path counters. */
  dbCalls?: number | undefined
  refreshJobs?: number | undefined
}

/** A client of the meter's own; ioredis is loaded only when a URL is given (it is an optional peer dependency). */
function openRedis(url: string): Redis {
  const { Redis: Client } = createRequire(import.meta.url)('ioredis') as typeof IORedis
  return new Client(url, { maxRetriesPerRequest: 1 })
}

function positiveInteger(name: string, value: unknown, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (value === 0 && !allowZero)) {
    throw new CUTOVER_ERR_METER_OPTIONS_INVALID(`${name} to be a ${allowZero ? 'non-negative' : 'positive'} integer`, describeValue(value))
  }
  return value
}

/**
 * The counter fields of one route's requests in one scope, made once: the
 * same strings on every request. With a `path.page.` or `path.legacy.`
 * prefix, the same route's per-path counters.
 */
class RequestFields {
  readonly requests: string
  readonly errors: string
  readonly latencySumUs: string
  readonly cacheLookups: string
  readonly cacheHits: string
  /** Per path only: the request's own DB calls and refresh jobs. */
  readonly queries: string
  readonly jobs: string
  readonly #latency: string[] = []
  #byPath: Record<string, RequestFields> | undefined

  constructor(
    private readonly scope: CounterScope,
    private readonly route: string,
    private readonly prefix = '',
  ) {
    const field = (counter: string): string => counterField(scope, route, prefix + counter)
    this.requests = field(COUNTERS.requests)
    this.errors = field(COUNTERS.errors)
    this.latencySumUs = field(COUNTERS.latencySumUs)
    this.cacheLookups = field(COUNTERS.cacheLookups)
    this.cacheHits = field(COUNTERS.cacheHits)
    this.queries = field(COUNTERS.queries)
    this.jobs = field(COUNTERS.jobs)
  }

  latency(bucket: number): string {
    return (this.#latency[bucket] ??= counterField(this.scope, this.route, `${this.prefix}${COUNTERS.latency}${bucket}`))
  }

  /** The same route's per-path counters (`path.page.`, `path.legacy.`). */
  path(path: 'page' | 'legacy'): RequestFields {
    const byPath = (this.#byPath ??= {})
    return (byPath[path] ??= new RequestFields(this.scope, this.route, `${COUNTERS.path}${path}.`))
  }
}

const NOT_A_LOOKUP = 0
const MISS = 1
const HIT = 2
type CacheLookup = typeof NOT_A_LOOKUP | typeof MISS | typeof HIT
/** Cache-Status values seen and what they were; a few values repeat on every request (`ttl=` moves by the second). */
const lookups = new Map<string, CacheLookup>()

/**
 * What a response's Cache-Status says of the page cache: not a lookup of it,
 * a lookup that missed (or bypassed), or a hit. A route in mode off answers
 * `cutover; fwd=bypass; detail=mode-off`: not a page-cache response.
 */
export function cacheLookupOf(cacheStatus: string): CacheLookup {
  let lookup = lookups.get(cacheStatus)
  if (lookup === undefined) {
    lookup = !/^\s*cutover\s*;/i.test(cacheStatus) || /detail=mode-off/i.test(cacheStatus) ? NOT_A_LOOKUP : /;\s*hit(\s*;|\s*$)/i.test(cacheStatus) ? HIT : MISS
    // Bounded: values are cutover's own few forms, but a header is the app's to set.
    if (lookups.size >= 1024) lookups.clear()
    lookups.set(cacheStatus, lookup)
  }
  return lookup
}

/** Routes whose field tables are kept (routes are a route's id or URL pattern: a bounded set; kept bounded regardless). */
const MAX_FIELD_TABLES = 10_000

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
  /** True when the meter opened its Redis client (from a URL) and so closes it. */
  private readonly ownsRedis: boolean
  private readonly retentionSeconds: number
  private readonly now: () => number
  private readonly prom: PromExport | undefined
  private readonly counts = new CountBuffer()
  /** DB calls and Redis commands, counted into per-route integer slots and folded into `counts`. */
  private readonly calls: CallCounts
  /** Fractions of calls split between routes and not yet counted (counters are integers), per field. */
  private readonly carry = new Map<string, number>()
  private timer: NodeJS.Timeout | undefined
  private flushing: Promise<void> | undefined
  /** Per-request counter fields by route, user and shadow scope. */
  private readonly fieldTables = { user: new Map<string, RequestFields>(), shadow: new Map<string, RequestFields>() }

  constructor(options: MeterOptions) {
    const given = options?.redis as unknown
    if (options === null || typeof options !== 'object' || !(typeof given === 'string' ? /^rediss?:\/\//.test(given) : typeof (given as Redis | undefined)?.evalsha === 'function')) {
      throw new CUTOVER_ERR_METER_OPTIONS_INVALID('redis to be an ioredis client or a redis:// URL', typeof options?.redis === 'string' ? JSON.stringify(options.redis) : typeof options?.redis)
    }
    if (options.prefix !== undefined && (typeof options.prefix !== 'string' || options.prefix === '')) {
      throw new CUTOVER_ERR_METER_OPTIONS_INVALID('prefix to be a non-empty string', describeValue(options.prefix))
    }
    this.ownsRedis = typeof options.redis === 'string'
    this.redis = typeof options.redis === 'string' ? openRedis(options.redis) : (asRedisClient(options.redis) as Redis)
    this.prefix = options.prefix ?? 'cutover'
    this.bucketSeconds = positiveInteger('bucketSeconds', options.bucketSeconds, 60)
    this.retentionSeconds = positiveInteger('retentionSeconds', options.retentionSeconds, 172_800)
    const flushIntervalMs = positiveInteger('flushIntervalMs', options.flushIntervalMs, 1000, true)
    this.now = options.now ?? Date.now
    this.calls = new CallCounts(this.counts, this.bucketSeconds)
    this.keys = meterKeys(this.prefix)
    this.registry = options.registry
    this.prom = options.registry ? new PromExport(options.registry, () => this.cumulative()) : undefined
    if (flushIntervalMs > 0) {
      this.timer = setInterval(() => void this.flush().catch(() => undefined), flushIntervalMs)
      this.timer.unref()
    }
  }

  private bucketOf(): number {
    const sec = Math.floor(this.now() / 1000)
    return sec - (sec % this.bucketSeconds)
  }

  private increment(field: string, n: number): void {
    this.counts.increment(this.bucketOf(), field, n)
  }


  /** Splits `n` calls between routes by weight; what is not yet a whole call is carried to the next split. */
  private chargeShares(shares: ReadonlyMap<string, number>, scope: CounterScope, counter: string, n: number): void {
    let total = 0
    for (const weight of shares.values()) total += weight
    if (total <= 0) return
    for (const [route, weight] of shares) {
      const field = counterField(scope, route, counter)
      const exact = (this.carry.get(field) ?? 0) + (n * weight) / total
      const whole = Math.floor(exact + 1e-9)
      this.carry.set(field, exact - whole)
      if (whole > 0) this.increment(field, whole)
    }
  }

  /** One DB call in the current context: inline for a request, a refresh read inside a job. */
  countQuery(): void {
    const context = currentMeterContext()
    if (context === undefined) {
      this.calls.slot(false, BACKGROUND_ROUTE, this.now()).queries++
      return
    }
    if (context.counts) context.counts.dbCalls++
    const counter = context.source === 'refresh' ? COUNTERS.refreshReads : COUNTERS.queries
    if (context.shares) this.chargeShares(context.shares, context.shadow ? 'shadow' : 'user', counter, 1)
    else this.calls.slot(context.shadow, context.route, this.now())[counter]++
  }

  /** `n` Redis commands in the current context. */
  countRedis(n: number): void {
    const context = currentMeterContext()
    if (context === undefined) {
      this.calls.slot(false, BACKGROUND_ROUTE, this.now()).redis += n
      return
    }
    if (context.counts) context.counts.redisCalls += n
    if (context.shares) this.chargeShares(context.shares, context.shadow ? 'shadow' : 'user', COUNTERS.redis, n)
    else this.calls.slot(context.shadow, context.route, this.now()).redis += n
  }

  /** `n` refresh jobs enqueued on behalf of `origin`. */
  countEnqueued(origin: string, n: number): void {
    this.increment(counterField('user', origin, COUNTERS.jobs), n)
    this.counts.addBacklog(origin, n)
  }

  /** Refresh jobs a shadow render would have enqueued (it enqueues none). */
  countShadowEnqueue(route: string, n: number): void {
    this.increment(counterField('shadow', route, COUNTERS.jobs), n)
  }

  /**
   * One request arriving. Counted on arrival, not on completion, so a request
   * the client gave up on still counts for the DB calls it caused.
   */
  countRequest(route: string, shadow: boolean): void {
    this.increment(this.fieldsOf(route, shadow).requests, 1)
  }

  /** The counter fields of a route's requests, made on its first request. */
  private fieldsOf(route: string, shadow: boolean): RequestFields {
    const tables = shadow ? this.fieldTables.shadow : this.fieldTables.user
    let fields = tables.get(route)
    if (fields === undefined) {
      fields = new RequestFields(shadow ? 'shadow' : 'user', route)
      if (tables.size < MAX_FIELD_TABLES) tables.set(route, fields)
    }
    return fields
  }

  /** One finished request: its status, latency and page-cache outcome (see also countRequest). */
  recordResponse(sample: RequestSample): void {
    const bucket = this.bucketOf()
    const fields = this.fieldsOf(sample.route, sample.shadow)
    const { counts } = this
    const latency = latencyBucket(sample.durationMs)
    if (sample.statusCode >= 500) counts.increment(bucket, fields.errors, 1)
    counts.increment(bucket, fields.latencySumUs, Math.round(sample.durationMs * 1000))
    counts.increment(bucket, fields.latency(latency), 1)
    const lookup = sample.cacheStatus === undefined ? NOT_A_LOOKUP : cacheLookupOf(sample.cacheStatus)
    if (lookup !== NOT_A_LOOKUP) {
      counts.increment(bucket, fields.cacheLookups, 1)
      if (lookup === HIT) counts.increment(bucket, fields.cacheHits, 1)
    }
    if (sample.path !== undefined) {
      const on = fields.path(sample.path)
      counts.increment(bucket, on.requests, 1)
      if (sample.statusCode >= 500) counts.increment(bucket, on.errors, 1)
      counts.increment(bucket, on.queries, sample.dbCalls ?? 0)
      counts.increment(bucket, on.jobs, sample.refreshJobs ?? 0)
      counts.increment(bucket, on.latency(latency), 1)
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
    const bucket = this.bucketOf()
    this.counts.raise(bucket, counterField('queue', queue, COUNTERS.depthMax), depth)
    this.counts.setLatest(bucket, counterField('queue', queue, COUNTERS.depthLast), depth)
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
      this.increment(counterField('user', route, COUNTERS.jobsDone), 1)
      this.counts.addBacklog(route, -1)
    }
  }

  /**
   * Runs the refresh of a batch of jobs from several routes (a drainer's one
   * `IN (...)` query for many jobs): the DB calls inside are split between
   * `origins` (route -> jobs) by their share of the jobs, each route's jobs
   * count as done.
   */
  async runJobs<T>(origins: ReadonlyMap<string, number>, work: () => Promise<T>): Promise<T> {
    const [first] = origins.keys()
    try {
      return await runWithMeterContext({ route: first ?? BACKGROUND_ROUTE, shadow: false, source: 'refresh', shares: origins }, work)
    } finally {
      for (const [route, n] of origins) {
        this.increment(counterField('user', route, COUNTERS.jobsDone), n)
        this.counts.addBacklog(route, -n)
      }
    }
  }

  /**
   * The producer gate's decision on `n` of a route's jobs. Jobs deduped or
   * dropped will never run: they leave the route's backlog (meterQueue
   * counted them as enqueued when the app handed them over).
   */
  countGate(route: string, decision: 'passed' | 'deduped' | 'dropped', n: number): void {
    const counter = decision === 'passed' ? COUNTERS.gatePassed : decision === 'deduped' ? COUNTERS.gateDeduped : COUNTERS.gateDropped
    this.increment(counterField('user', route, counter), n)
    if (decision !== 'passed') this.counts.addBacklog(route, -n)
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
    this.calls.fold()
    const pending = this.counts.take()
    const target = { redis: this.redis, keys: this.keys, bucketSeconds: this.bucketSeconds, retentionSeconds: this.retentionSeconds }
    try {
      await sendPending(target, pending, this.bucketOf(), (increments) => this.prom?.fold(increments))
    } catch (err) {
      this.counts.putBack(pending)
      throw err
    }
  }

  /** This process's totals since start (sent and unsent), for the Prometheus export. */
  private cumulative(): Counts {
    const totals: Counts = new Map(this.prom?.sent ?? [])
    this.calls.fold()
    this.counts.addUnsentTo(totals)
    return totals
  }

  /**
   * Stops the timer, sends what is left and closes what the meter opened (its
   * Redis client when it was given a URL; a client you gave stays open). The
   * client is closed even when the last flush fails, and the failure is thrown.
   */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
    try {
      await this.flush()
    } finally {
      if (this.ownsRedis) await closeOwnClient(this.redis)
    }
  }
}

/**
 * Closes a client the meter opened and resolves once its connection is gone
 * (status `end`), so nothing of the meter's keeps the process alive after
 * close(). QUIT waits for the replies still due; a client that is not
 * connected would wait for a reconnect, so it is disconnected instead.
 */
async function closeOwnClient(redis: Redis): Promise<void> {
  if (redis.status === 'end') return
  const ended = new Promise<void>((resolve) => redis.once('end', () => resolve()))
  if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect())
  else redis.disconnect()
  // Bounded: a client in a state that never reports its end must not hold close() up.
  let timer: NodeJS.Timeout | undefined
  await Promise.race([ended, new Promise<void>((resolve) => (timer = setTimeout(resolve, 1000)))])
  clearTimeout(timer)
}
