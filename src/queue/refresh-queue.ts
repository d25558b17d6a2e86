/**
 * The legacy refresh queue, as cutover sees it: the app enqueues one job per
 * record it served, a worker consumes them and rewrites the record's object
 * key. One file per driver (`list-queue.ts`, `bullmq-queue.ts`); every driver
 * passes the suite in test/contract/refresh-queue.contract.ts.
 *
 * `consume` is what the legacy worker does today and stays as it is. The
 * drainer and the producer gate need more of a driver: `DrainableQueue` adds
 * batch claims under a visibility timeout (`claim(max, visibilityMs)` returning
 * jobs with a receipt, `ack(receipts)`), retries and a dead-letter list, and
 * an enqueue that dedupes; both drivers implement it and pass the suite in
 * test/contract/drainable-queue.contract.ts.
 */
import { CUTOVER_ERR_QUEUE_JOB_INVALID } from '../errors.js'
import type { QueueKeys } from './keys.js'
import { describeValue } from '../describe-value.js'

export interface RefreshJob {
  /** Table the record lives in, e.g. 'products'. */
  table: string
  /** The record's primary key. */
  id: string | number
  /** Route whose response caused the job; the meter charges the job's DB reads to it. */
  origin?: string
}

export type RefreshHandler = (job: RefreshJob) => Promise<void>

export interface ConsumeOptions {
  /**
   * Jobs run at once.
   * @default 1
   */
  concurrency?: number
  /** Called with a job that threw; the job is not retried (the next request enqueues it again). */
  onError?: (error: unknown, job: RefreshJob) => void
}

export interface RefreshConsumer {
  /** Stops taking jobs and resolves once the jobs in hand are finished. */
  close(): Promise<void>
}

/** What `enqueue` may be told besides the jobs. */
export interface EnqueueOptions {
  /**
   * Route stamped on each job that carries no `origin` of its own, so the
   * caller's jobs need not be copied to carry it (the meter's wrapper passes
   * the request's route). Only a queue whose `stampsOrigin` is true reads it.
   */
  origin?: string | undefined
}

export interface RefreshQueue {
  /** Driver name for logs and reports: 'list', 'bullmq'. */
  readonly driver: string
  /** The queue's name (part of its Redis keys). */
  readonly name: string
  /**
   * True when `enqueue` (and a drainable queue's `add`) stamp `options.origin`
   * on the jobs without one. Both built-in drivers and the gate do; the
   * meter's wrapper and the gate copy each job to stamp it on a queue
   * without it.
   */
  readonly stampsOrigin?: boolean
  /** Adds jobs at the tail, in order. */
  enqueue(jobs: readonly RefreshJob[], options?: EnqueueOptions): Promise<void>
  /** Starts running `handler` on jobs as they arrive, oldest first. */
  consume(handler: RefreshHandler, options?: ConsumeOptions): RefreshConsumer
  /** Jobs waiting plus jobs being run. */
  depth(): Promise<number>
  /** Stops consumers started here and closes the connections the driver opened (never the caller's client). */
  close(): Promise<void>
}

/** A job added through `add()`: `dedupe` skips it when its record already has a job waiting. */
export interface AddEntry {
  job: RefreshJob
  dedupe: boolean
}

export interface AddOptions {
  /**
   * Also skip a deduped job when a job for its record was accepted within
   * this many ms (a throttle: each record is queued at most once per window).
   * 0: only the waiting-job check.
   * @default 0
   */
  recentMs?: number
  /** Stamped on the jobs without an origin, as `EnqueueOptions.origin` (when `stampsOrigin`). */
  origin?: string | undefined
}

/** One job taken by `claim()`, invisible to other claims until acked, released or its visibility ends. */
export interface ClaimedJob {
  /** Opaque handle for ack/release/fail; valid until the visibility timeout ends. */
  receipt: string
  /** The job, or undefined when what the queue held is not a valid job (dead-letter it). */
  job: RefreshJob | undefined
  /** What the queue held, as stored (for dead letters). */
  raw: string
  /** Why `job` is undefined. */
  invalid?: string
}

/** A claimed job that failed: counted against its record, dead-lettered at `maxFailures`. */
export interface FailedClaim {
  claim: ClaimedJob
  reason: string
}

/** A job that left the queue for the dead-letter list. */
export interface DeadLetter {
  /** The job as stored. */
  raw: string
  job: RefreshJob | undefined
  reason: string
  /** Refresh failures counted for its record when it was dead-lettered. */
  failures: number
  /** Epoch ms. */
  at: number
}

/** Final outcome of a claimed job, kept as per-queue totals (see `DrainableQueue.totals`). */
export type SettledOutcome = 'refreshed' | 'superseded'

/** What a queue holds, for status and retire. */
export interface QueueCounts {
  /** Jobs waiting to be claimed or consumed. */
  waiting: number
  /** Jobs claimed by drainers or taken by consumers, not yet done. */
  inFlight: number
  deadLetters: number
}

/**
 * A refresh queue the drainer can work: batch claims under a visibility
 * timeout (a claimed job that is neither acked nor released goes back to the
 * queue when its visibility ends, so a killed drainer loses nothing),
 * per-record failure counts, a dead-letter list, and an enqueue that dedupes
 * (one round trip per batch).
 */
export interface DrainableQueue extends RefreshQueue {
  /** The queue's control-plane keys (QueueControl reads and writes them). */
  readonly shared: QueueKeys
  /** Adds jobs; resolves, per entry, whether it was queued (false: deduped). */
  add(entries: readonly AddEntry[], options?: AddOptions): Promise<boolean[]>
  /** Claims up to `max` jobs, oldest first, each invisible to other claims for `visibilityMs`. */
  claim(max: number, visibilityMs: number): Promise<ClaimedJob[]>
  /**
   * Removes claimed jobs that are done and clears their records' failure
   * counts; `outcomes` (same order) feed the queue's totals. Resolves to how
   * many were still held (a job whose visibility ended is back in the queue
   * and is not counted).
   */
  ack(claims: readonly ClaimedJob[], outcomes?: readonly SettledOutcome[]): Promise<number>
  /** Puts claimed jobs back, at the head, without counting a failure (the database was down). */
  release(claims: readonly ClaimedJob[]): Promise<void>
  /**
   * Counts a failure against each job's record; jobs whose record reached
   * `maxFailures` go to the dead-letter list with the reason, the others back
   * to the queue. Resolves to the receipts dead-lettered.
   */
  fail(failed: readonly FailedClaim[], maxFailures: number): Promise<string[]>
  /** Moves claimed jobs to the dead-letter list at once (unparseable jobs). */
  deadLetter(failed: readonly FailedClaim[]): Promise<void>
  /** The newest dead letters first, up to `limit`. */
  deadLetters(limit: number): Promise<DeadLetter[]>
  counts(): Promise<QueueCounts>
  /** Jobs acked per outcome since the queue was created (or retired). */
  totals(): Promise<Record<SettledOutcome, number>>
  /**
   * Deletes the queue's keys, keeping the dead-letter list, but only when no
   * job is waiting or in flight and none was accepted for `quietMs`; says
   * what it found either way (QueueControl.retire turns a refusal into an error).
   */
  retire(quietMs: number): Promise<RetireCheck>
}

/** What retire found, and whether it removed the queue. */
export interface RetireCheck {
  retired: boolean
  waiting: number
  inFlight: number
  /** Epoch ms of the last job accepted; 0 when none was recorded. */
  lastEnqueueAt: number
  /** Epoch ms of the check (the Redis server's clock where the driver reads it). */
  now: number
}

/** `job`, or a copy of it with `origin` added when it has none (the caller's object is left alone). */
export function withOrigin(job: RefreshJob, origin: string | undefined): RefreshJob {
  return origin === undefined || job.origin !== undefined ? job : Object.assign({}, job, { origin })
}

/** Checks an `origin` option: a string or undefined. */
export function checkOrigin(origin: unknown): string | undefined {
  if (origin === undefined || typeof origin === 'string') return origin
  throw new CUTOVER_ERR_QUEUE_JOB_INVALID(`origin ${describeValue(origin)}`)
}

/**
 * Writes checked jobs as the JSON a queue stores, each job without an origin
 * stamped with `origin` in the text itself: the same text as a copy of the
 * job with `origin` added last, without making the copy.
 */
export function jobWriter(origin: string | undefined): (job: RefreshJob) => string {
  if (checkOrigin(origin) === undefined) return (job) => JSON.stringify(checkJob(job))
  const tail = `,"origin":${JSON.stringify(origin)}}`
  return (job) => {
    const text = JSON.stringify(checkJob(job))
    if (job.origin !== undefined) return text
    // A job whose toJSON writes no object with fields: written as a copy with the origin (its toJSON decides what is kept).
    return text.length > 2 && text.endsWith('}') ? text.slice(0, -1) + tail : JSON.stringify(withOrigin(job, origin))
  }
}

/** Checks a job's shape (drivers call it on enqueue and on what they read back). */
export function checkJob(job: unknown): RefreshJob {
  const j = job as Partial<RefreshJob> | null
  const ok =
    j !== null && typeof j === 'object' &&
    typeof j.table === 'string' && j.table !== '' &&
    ((typeof j.id === 'string' && j.id !== '') || (typeof j.id === 'number' && Number.isFinite(j.id))) &&
    (j.origin === undefined || typeof j.origin === 'string')
  if (!ok) throw new CUTOVER_ERR_QUEUE_JOB_INVALID(describeValue(job))
  return j as RefreshJob
}
