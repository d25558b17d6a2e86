/**
 * The legacy refresh queue, as cutover sees it: the app enqueues one job per
 * record it served, a worker consumes them and rewrites the record's object
 * key. One file per driver (`list-queue.ts`, `bullmq-queue.ts`); every driver
 * passes the suite in test/contract/refresh-queue.contract.ts.
 *
 * The drainer will extend this with batch claims under a visibility timeout
 * (`claim(max, visibilityMs)` returning jobs with a receipt, `ack(receipts)`);
 * `consume` is what the legacy worker does today and stays as it is.
 */
import { CUTOVER_ERR_QUEUE_JOB_INVALID } from '../errors.js'
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

export interface RefreshQueue {
  /** Driver name for logs and reports: 'list', 'bullmq'. */
  readonly driver: string
  /** The queue's name (part of its Redis keys). */
  readonly name: string
  /** Adds jobs at the tail, in order. */
  enqueue(jobs: readonly RefreshJob[]): Promise<void>
  /** Starts running `handler` on jobs as they arrive, oldest first. */
  consume(handler: RefreshHandler, options?: ConsumeOptions): RefreshConsumer
  /** Jobs waiting plus jobs being run. */
  depth(): Promise<number>
  /** Stops consumers started here and closes the connections the driver opened (never the caller's client). */
  close(): Promise<void>
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
