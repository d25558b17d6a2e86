import { hostname } from 'node:os'
import type { Redis } from 'ioredis'
import { asRedis, type RedisInput } from '../redis-script.js'
import { CUTOVER_ERR_DRAIN_OPTIONS_INVALID } from '../errors.js'
import { checkRate, checkSchedule, type DrainSchedule } from './drain-settings.js'
import type { ClaimedJob, DrainableQueue, SettledOutcome } from './refresh-queue.js'

/** The app's batch refresh: one `SELECT ... WHERE id IN (...)` for `ids`, and their object keys rewritten. */
export type RefreshMany = (table: string, ids: Array<string | number>) => Promise<void>

/**
 * Runs a refresh charged to the routes its jobs came from, each by its share
 * of the jobs (the meter's `meterDrainer(meter).charge` fits).
 */
export type ChargeHook = <T>(origins: ReadonlyMap<string, number>, work: () => Promise<T>) => Promise<T>

/** A job the drainer is about to acknowledge, and how it ended. */
export interface SettledJob {
  claim: ClaimedJob
  outcome: SettledOutcome
}

export interface DrainPressureOptions {
  /**
   * A batch query slower than this backs the rate off, ms.
   * @default 500
   */
  latencyMs?: number
  /**
   * More MySQL threads running than this backs the rate off (read through `probe`).
   * @default 32
   */
  threadsRunning?: number
  /** Reads MySQL's Threads_running (`mysqlThreadsRunning(pool)`). Without it only latency counts. */
  probe?: () => Promise<number>
  /**
   * How often the probe runs, ms.
   * @default 1000
   */
  probeEveryMs?: number
}

export interface DrainerOptions {
  /** The queue to drain (ListRefreshQueue or BullmqRefreshQueue). */
  queue: DrainableQueue
  /** Redis for the control plane and the global rate limit, an ioredis 5 or 6 client (not closed by the drainer). */
  redis: RedisInput
  refreshMany: RefreshMany
  /**
   * Rate when the control plane has none, jobs/s; also written there when
   * it has no settings yet.
   * @default 100
   */
  rate?: number
  /** A ramp used instead of `rate` under the same rule. */
  schedule?: DrainSchedule
  /**
   * Jobs claimed at most per batch (below ~200 jobs/s batches shrink so they come every half second).
   * @default 100
   */
  batchSize?: number
  /**
   * How long a claimed job stays invisible to other drainers; a drainer killed
   * holding it gives it back after this, ms.
   * @default 30000
   */
  visibilityMs?: number
  /**
   * Refresh failures of a record before its job goes to the dead-letter list.
   * @default 3
   */
  maxFailures?: number
  /** Stop (resolve `done` with 'empty') once the queue's depth is at most this. Unset: run until stopped. */
  untilDepth?: number
  pressure?: DrainPressureOptions
  /** Charges refresh reads to the jobs' routes (cutover/meter: `meterDrainer(meter).charge`). */
  charge?: ChargeHook
  /**
   * Told of every job just before it is acknowledged (an audit trail). A job
   * may be told twice if its drainer dies before the ack (at-least-once).
   */
  audit?: (settled: readonly SettledJob[]) => Promise<void>
  /** Whether a refreshMany error means the database is unreachable (the batch goes back) rather than a bad job. */
  isTransient?: (error: unknown) => boolean
  /**
   * How often progress is measured, reported to the control plane and emitted, ms.
   * @default 1000
   */
  progressEveryMs?: number
  /** This drainer's id in status and receipts. @default `<host>:<pid>:<random>` */
  id?: string
}

export interface CheckedDrainerOptions {
  queue: DrainableQueue
  redis: Redis
  refreshMany: RefreshMany
  rate: number
  schedule: DrainSchedule | undefined
  batchSize: number
  visibilityMs: number
  maxFailures: number
  untilDepth: number | undefined
  latencyMs: number
  threadsRunning: number
  probe: (() => Promise<number>) | undefined
  probeEveryMs: number
  charge: ChargeHook | undefined
  audit: ((settled: readonly SettledJob[]) => Promise<void>) | undefined
  isTransient: (error: unknown) => boolean
  progressEveryMs: number
  id: string
}

const KNOWN = [
  'queue', 'redis', 'refreshMany', 'rate', 'schedule', 'batchSize', 'visibilityMs', 'maxFailures', 'untilDepth',
  'pressure', 'charge', 'audit', 'isTransient', 'progressEveryMs', 'id',
]
const PRESSURE_KNOWN = ['latencyMs', 'threadsRunning', 'probe', 'probeEveryMs']

const bad = (what: string, value: unknown): never => {
  throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID(what, typeof value === 'function' ? 'a function' : (JSON.stringify(value) ?? String(value)))
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) return bad(`${name} to be an integer from ${min} to ${max}`, value)
  return value
}

function fn<T>(name: string, value: unknown): T | undefined {
  if (value !== undefined && typeof value !== 'function') bad(`${name} to be a function`, value)
  return value as T | undefined
}

/** mysql2 error codes (and Node socket codes) that mean the server is out of reach or shedding load, not a bad record. */
const TRANSIENT = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT', 'ER_CON_COUNT_ERROR', 'ER_TOO_MANY_USER_CONNECTIONS', 'ER_SERVER_SHUTDOWN',
  'ER_LOCK_WAIT_TIMEOUT', 'ER_LOCK_DEADLOCK', 'ER_QUERY_INTERRUPTED',
])

/** The default rule: mysql2 marks connection-level errors `fatal`; the codes above are transient too. */
export function isTransientDbError(error: unknown): boolean {
  const e = error as { fatal?: unknown; code?: unknown } | null
  return e !== null && typeof e === 'object' && (e.fatal === true || (typeof e.code === 'string' && TRANSIENT.has(e.code)))
}

/** Validates a drainer's options once: unknown keys and wrong values throw CUTOVER_ERR_DRAIN_OPTIONS_INVALID naming the option. */
export function checkDrainerOptions(options: DrainerOptions): CheckedDrainerOptions {
  if (options === null || typeof options !== 'object') return bad('options to be an object', options)
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) bad(`options to be among ${KNOWN.join(', ')}`, key)
  if (typeof options.queue?.claim !== 'function') bad('queue to be a drainable refresh queue (ListRefreshQueue, BullmqRefreshQueue)', typeof options.queue)
  if (typeof options.redis?.evalsha !== 'function') bad('redis to be an ioredis client', typeof options.redis)
  if (typeof options.refreshMany !== 'function') bad('refreshMany to be a function (table, ids) => Promise<void>', typeof options.refreshMany)
  const pressure = options.pressure ?? {}
  if (pressure === null || typeof pressure !== 'object') bad('pressure to be an object', pressure)
  for (const key of Object.keys(pressure)) if (!PRESSURE_KNOWN.includes(key)) bad(`pressure to have only ${PRESSURE_KNOWN.join(', ')}`, key)
  const untilDepth = options.untilDepth === undefined ? undefined : integer('untilDepth', options.untilDepth, 0, 0, Number.MAX_SAFE_INTEGER)
  return Object.freeze({
    queue: options.queue,
    redis: asRedis(options.redis),
    refreshMany: options.refreshMany,
    rate: options.rate === undefined ? 100 : checkRate('rate', options.rate),
    schedule: options.schedule === undefined ? undefined : checkSchedule(options.schedule, Date.now()),
    batchSize: integer('batchSize', options.batchSize, 100, 1, 10_000),
    visibilityMs: integer('visibilityMs', options.visibilityMs, 30_000, 100, 86_400_000),
    maxFailures: integer('maxFailures', options.maxFailures, 3, 1, 1000),
    untilDepth,
    latencyMs: integer('pressure.latencyMs', pressure.latencyMs, 500, 1, 3_600_000),
    threadsRunning: integer('pressure.threadsRunning', pressure.threadsRunning, 32, 1, 1_000_000),
    probe: fn<() => Promise<number>>('pressure.probe', pressure.probe),
    probeEveryMs: integer('pressure.probeEveryMs', pressure.probeEveryMs, 1000, 10, 3_600_000),
    charge: fn<ChargeHook>('charge', options.charge),
    audit: fn<(settled: readonly SettledJob[]) => Promise<void>>('audit', options.audit),
    isTransient: fn<(error: unknown) => boolean>('isTransient', options.isTransient) ?? isTransientDbError,
    progressEveryMs: integer('progressEveryMs', options.progressEveryMs, 1000, 10, 3_600_000),
    id: options.id ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
  })
}
