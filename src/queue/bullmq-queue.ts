import { randomUUID } from 'node:crypto'
import { Queue, Worker, type Job, type JobsOptions } from 'bullmq'
import type { Redis } from 'ioredis'
import { bullmqPrefix, queueKeys, type QueueKeys } from './keys.js'
import { checkConcurrency, checkQueueOptions, type QueueDriverOptions } from './options.js'
import { deadLetterEntry, parseDeadLetter, readTotals, recordOfClaim, toClaimed } from './queue-common.js'
import {
  checkJob,
  checkOrigin,
  withOrigin,
  type AddEntry,
  type AddOptions,
  type ClaimedJob,
  type ConsumeOptions,
  type DeadLetter,
  type DrainableQueue,
  type EnqueueOptions,
  type FailedClaim,
  type QueueCounts,
  type RefreshConsumer,
  type RefreshHandler,
  type RefreshJob,
  type RetireCheck,
  type SettledOutcome,
} from './refresh-queue.js'

export type BullmqQueueOptions = QueueDriverOptions

/**
 * A stalled job (its lock ran out) goes back to wait, however often: BullMQ
 * would fail it after `maxStalledCount` stalls, and a drainer killed twice
 * while holding a job is no reason to lose it.
 */
const MAX_STALLED = 1_000_000
/** Retried jobs wait this long in BullMQ's delayed set, behind the jobs queued meanwhile. */
const RETRY_DELAY_MS = 1000
const KEEP: Pick<JobsOptions, 'removeOnComplete' | 'removeOnFail'> = { removeOnComplete: true, removeOnFail: { count: 1000 } }

/**
 * A job taken (claimed or consumed) no longer stands for its record: a new
 * job for the record queues, as on the list driver (its row may change after
 * this job read it). Throttle keys (with a TTL) stay: they are the recent window.
 */
function freeRecord(job: Job<RefreshJob>): Promise<boolean> {
  if (!job.deduplicationId || job.opts.deduplication?.ttl) return Promise.resolve(false)
  return job.removeDeduplicationKey().catch(() => false)
}

interface Held {
  job: Job<RefreshJob>
  token: string
}

/**
 * The legacy refresh queue on BullMQ: one BullMQ job per refresh job, named
 * after its table. Drainers claim with BullMQ's manual job processing
 * (`Worker.getNextJob` under a lock token; the lock is the visibility
 * timeout and BullMQ's stalled-job check puts jobs whose lock ran out back
 * in wait). Dedupe is BullMQ's own deduplication, keyed by record.
 */
export class BullmqRefreshQueue implements DrainableQueue {
  readonly driver = 'bullmq'
  readonly stampsOrigin = true
  readonly name: string
  readonly shared: QueueKeys
  private readonly redis: Redis
  private readonly prefix: string
  private readonly connection: Redis
  private readonly queue: Queue
  private readonly consumers = new Set<RefreshConsumer>()
  private readonly held = new Map<string, Held>()
  private claimer: { worker: Worker<RefreshJob>; connection: Redis; visibilityMs: number } | undefined

  constructor(options: BullmqQueueOptions) {
    const checked = checkQueueOptions(options)
    this.redis = checked.redis
    this.name = checked.name
    this.prefix = bullmqPrefix(checked.prefix, checked.name)
    this.shared = queueKeys(checked.prefix, checked.name)
    this.connection = this.redis.duplicate()
    this.queue = new Queue(this.name, { connection: this.connection, prefix: this.prefix })
  }

  async enqueue(jobs: readonly RefreshJob[], options: EnqueueOptions = {}): Promise<void> {
    await this.add(jobs.map((job) => ({ job, dedupe: false })), { origin: options.origin })
  }

  async add(entries: readonly AddEntry[], options: AddOptions = {}): Promise<boolean[]> {
    // BullMQ takes each job's data as an object it serializes itself: the origin is stamped on a copy.
    const origin = checkOrigin(options.origin)
    if (entries.length === 0) return []
    const recentMs = options.recentMs ?? 0
    const bulk = entries.map((entry) => {
      const data = withOrigin(checkJob(entry.job), origin)
      if (!entry.dedupe) return { name: data.table, data, opts: { ...KEEP } }
      const id = JSON.stringify([data.table, String(data.id)])
      // One waiting job per record: the key is freed when a job is taken (claim, consume), so a
      // record changed while its job runs gets a new one. With a recent window, BullMQ's
      // throttle mode: no new job for the record until the window has passed.
      const deduplication = recentMs > 0 ? { id, ttl: recentMs } : { id }
      return { name: data.table, data, opts: { ...KEEP, jobId: randomUUID(), deduplication } }
    })
    const [added] = await Promise.all([
      this.queue.addBulk(bulk),
      this.redis.hset(this.shared.control, 'lastEnqueueAt', Date.now()),
    ])
    // A deduplicated add answers with the id of the job already there.
    return bulk.map((b, i) => !('jobId' in b.opts) || added[i]?.id === b.opts.jobId)
  }

  consume(handler: RefreshHandler, options: ConsumeOptions = {}): RefreshConsumer {
    const concurrency = checkConcurrency(options.concurrency)
    // BullMQ workers block on their connection and need maxRetriesPerRequest: null.
    const connection = this.redis.duplicate({ maxRetriesPerRequest: null })
    const worker = new Worker<RefreshJob>(this.name, async (job) => {
      await freeRecord(job)
      return handler(checkJob(job.data))
    }, {
      connection,
      prefix: this.prefix,
      concurrency,
      maxStalledCount: MAX_STALLED,
    })
    worker.on('failed', (job, err) => {
      if (job) options.onError?.(err, job.data)
    })
    // A worker's connection errors are retried by BullMQ; without a listener Node would throw.
    worker.on('error', () => undefined)
    const consumer: RefreshConsumer = {
      close: async () => {
        this.consumers.delete(consumer)
        try {
          await worker.close()
        } finally {
          connection.disconnect()
        }
      },
    }
    this.consumers.add(consumer)
    return consumer
  }

  private async claimWorker(visibilityMs: number): Promise<Worker<RefreshJob>> {
    if (this.claimer?.visibilityMs === visibilityMs) return this.claimer.worker
    await this.closeClaimer()
    const connection = this.redis.duplicate({ maxRetriesPerRequest: null })
    const worker = new Worker<RefreshJob>(this.name, null, {
      connection,
      prefix: this.prefix,
      autorun: false,
      lockDuration: visibilityMs,
      // How often jobs are checked, not how long they are held (the lock is): a job whose lock
      // ran out is back in wait within two checks.
      stalledInterval: Math.min(5000, Math.max(100, Math.round(visibilityMs / 2))),
      maxStalledCount: MAX_STALLED,
      skipLockRenewal: true,
    })
    worker.on('error', () => undefined)
    this.claimer = { worker, connection, visibilityMs }
    // Puts jobs whose lock ran out (a drainer died holding them) back in wait.
    void worker.startStalledCheckTimer().catch(() => undefined)
    return worker
  }

  async claim(max: number, visibilityMs: number): Promise<ClaimedJob[]> {
    const worker = await this.claimWorker(visibilityMs)
    const token = randomUUID()
    const jobs = await Promise.all(Array.from({ length: max }, () => worker.getNextJob(token, { block: false })))
    await Promise.all(jobs.map((job) => (job ? freeRecord(job) : false)))
    const claimed: ClaimedJob[] = []
    for (const job of jobs) {
      if (!job) continue
      const receipt = `${token}|${job.id}`
      this.held.set(receipt, { job, token })
      claimed.push(toClaimed(receipt, JSON.stringify(job.data)))
    }
    return claimed
  }

  /** Runs `step` on each claim this process holds; resolves to the claims it succeeded for. */
  private async each(claims: readonly ClaimedJob[], step: (held: Held) => Promise<unknown>): Promise<ClaimedJob[]> {
    const results = await Promise.allSettled(
      claims.map(async (claim) => {
        const held = this.held.get(claim.receipt)
        if (!held) return false
        this.held.delete(claim.receipt)
        await step(held)
        return true
      }),
    )
    return claims.filter((_, i) => {
      const r = results[i]
      return r?.status === 'fulfilled' && r.value
    })
  }

  async ack(claims: readonly ClaimedJob[], outcomes: readonly SettledOutcome[] = []): Promise<number> {
    const byReceipt = new Map(claims.map((c, i) => [c.receipt, outcomes[i]]))
    // moveToCompleted refuses a job whose lock ran out: it is back in wait, or another drainer's.
    const acked = await this.each(claims, ({ job, token }) => job.moveToCompleted(null, token, false))
    const tally = this.redis.pipeline()
    for (const claim of acked) {
      const outcome = byReceipt.get(claim.receipt)
      if (outcome) tally.hincrby(this.shared.totals, outcome, 1)
    }
    const records = [...new Set(acked.map(recordOfClaim).filter((r) => r !== ''))]
    if (records.length > 0) tally.hdel(this.shared.failures, ...records)
    if (tally.length > 0) await tally.exec()
    return acked.length
  }

  async release(claims: readonly ClaimedJob[]): Promise<void> {
    await this.each(claims, ({ job, token }) => job.moveToWait(token))
  }

  async fail(failed: readonly FailedClaim[], maxFailures: number): Promise<string[]> {
    if (failed.length === 0) return []
    const records = failed.map((f) => recordOfClaim(f.claim))
    const count = this.redis.pipeline()
    for (const record of records) if (record !== '') count.hincrby(this.shared.failures, record, 1)
    const counted = ((await count.exec()) ?? []).map(([err, n]) => (err ? 0 : Number(n)))
    const dead: Array<FailedClaim & { failures: number }> = []
    const retry: ClaimedJob[] = []
    failed.forEach((f, i) => {
      // An invalid job (no record) was not counted and goes at once.
      const failures = records[i] === '' ? 0 : (counted.shift() ?? 0)
      if (records[i] === '' || failures >= maxFailures) dead.push({ ...f, failures })
      else retry.push(f.claim)
    })
    await this.bury(dead)
    await this.each(retry, ({ job, token }) => job.moveToDelayed(Date.now() + RETRY_DELAY_MS, token))
    return dead.map((d) => d.claim.receipt)
  }

  /** Dead letters first, then the jobs leave BullMQ: a crash between the two leaves a job twice, never none. */
  private async bury(dead: ReadonlyArray<FailedClaim & { failures: number }>): Promise<void> {
    if (dead.length === 0) return
    const now = Date.now()
    await this.redis.lpush(this.shared.dead, ...dead.map((d) => deadLetterEntry(d.claim.raw, d.reason, d.failures, now)))
    await this.each(dead.map((d) => d.claim), ({ job, token }) => job.moveToCompleted(null, token, false))
  }

  async deadLetter(failed: readonly FailedClaim[]): Promise<void> {
    await this.bury(failed.map((f) => ({ ...f, failures: 0 })))
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    return (await this.redis.lrange(this.shared.dead, 0, limit - 1)).map(parseDeadLetter)
  }

  async depth(): Promise<number> {
    const counts = await this.counts()
    return counts.waiting + counts.inFlight
  }

  async counts(): Promise<QueueCounts> {
    const [counts, dead] = await Promise.all([
      this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children'),
      this.redis.llen(this.shared.dead),
    ])
    const n = (state: string): number => counts[state] ?? 0
    return {
      waiting: n('waiting') + n('delayed') + n('prioritized') + n('waiting-children'),
      inFlight: n('active'),
      deadLetters: dead,
    }
  }

  totals(): Promise<Record<SettledOutcome, number>> {
    return readTotals(this.redis, this.shared.totals)
  }

  async retire(quietMs: number): Promise<RetireCheck> {
    const [counts, last] = await Promise.all([this.counts(), this.redis.hget(this.shared.control, 'lastEnqueueAt')])
    const now = Date.now()
    const lastEnqueueAt = Number(last ?? 0)
    const check = { retired: false, waiting: counts.waiting, inFlight: counts.inFlight, lastEnqueueAt, now }
    if (counts.waiting + counts.inFlight > 0 || (lastEnqueueAt > 0 && now - lastEnqueueAt < quietMs)) return check
    // BullMQ's failed set (jobs the legacy worker gave up on) goes to the dead-letter list, not away.
    const failed = await this.queue.getFailed(0, -1)
    if (failed.length > 0) {
      await this.redis.lpush(this.shared.dead, ...failed.map((j) => deadLetterEntry(JSON.stringify(j.data), `failed in BullMQ: ${j.failedReason}`, j.attemptsMade, now)))
    }
    await this.closeClaimer()
    await this.queue.obliterate()
    const { control, rate, drainers, failures, totals } = this.shared
    await this.redis.del(control, rate, drainers, failures, totals)
    return { ...check, retired: true }
  }

  private async closeClaimer(): Promise<void> {
    const claimer = this.claimer
    this.claimer = undefined
    if (!claimer) return
    try {
      await claimer.worker.close(true)
    } finally {
      claimer.connection.disconnect()
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()))
    await this.closeClaimer()
    await this.queue.close()
    this.connection.disconnect()
  }
}
