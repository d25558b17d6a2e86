import type { Redis } from 'ioredis'
import { listQueueKeys, queueKeys, type ListQueueKeys, type QueueKeys } from './keys.js'
import { ackLua } from './lua/ack.js'
import { claimLua } from './lua/claim.js'
import { enqueueLua } from './lua/enqueue.js'
import { failLua } from './lua/fail.js'
import { releaseLua } from './lua/release.js'
import { retireLua } from './lua/retire.js'
import { takeMoreLua } from './lua/take-more.js'
import { checkConcurrency, checkQueueOptions, type QueueDriverOptions } from './options.js'
import { parseDeadLetter, readTotals, recordOfClaim, toClaimed } from './queue-common.js'
import {
  checkJob,
  jobWriter,
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
import { RedisScript } from '../redis-script.js'

export interface ListQueueOptions extends QueueDriverOptions {
  /**
   * How long a consumer blocks waiting for a job before it checks whether it
   * was closed (so close() resolves within about this long).
   * @default 0.5
   */
  pollSeconds?: number
}

/** Entries of the recent-window zset are kept this long (the longest `recentMs` a gate may use). */
export const RECENT_RETENTION_MS = 3_600_000

const scripts = {
  enqueue: new RedisScript(enqueueLua),
  claim: new RedisScript(claimLua),
  ack: new RedisScript(ackLua),
  release: new RedisScript(releaseLua),
  fail: new RedisScript(failLua),
  takeMore: new RedisScript(takeMoreLua),
  retire: new RedisScript(retireLua),
}

/**
 * The plain Redis list queue many legacy apps use: LPUSH to enqueue, a worker
 * moves jobs (BLMOVE) to a `running` list while it works on them and removes
 * them when done. Jobs are JSON. Drainers claim from the same list under
 * receipts that come back to it when their visibility ends.
 */
export class ListRefreshQueue implements DrainableQueue {
  readonly driver = 'list'
  readonly stampsOrigin = true
  readonly name: string
  readonly keys: ListQueueKeys
  readonly shared: QueueKeys
  private readonly redis: Redis
  private readonly pollSeconds: number
  private readonly consumers = new Set<RefreshConsumer>()

  constructor(options: ListQueueOptions) {
    const checked = checkQueueOptions(options)
    this.redis = checked.redis
    this.name = checked.name
    this.keys = listQueueKeys(checked.prefix, checked.name)
    this.shared = queueKeys(checked.prefix, checked.name)
    this.pollSeconds = options.pollSeconds ?? 0.5
  }

  async enqueue(jobs: readonly RefreshJob[], options: EnqueueOptions = {}): Promise<void> {
    const write = jobWriter(options.origin)
    if (jobs.length === 0) return
    const args: (string | number)[] = [0, RECENT_RETENTION_MS]
    for (const job of jobs) args.push('p', write(job))
    await this.runEnqueue(args)
  }

  async add(entries: readonly AddEntry[], options: AddOptions = {}): Promise<boolean[]> {
    const write = jobWriter(options.origin)
    if (entries.length === 0) return []
    const args: (string | number)[] = [options.recentMs ?? 0, RECENT_RETENTION_MS]
    for (const e of entries) args.push(e.dedupe ? 'd' : 'p', write(e.job))
    return (await this.runEnqueue(args)).map((n) => n === 1)
  }

  /** The enqueue script on `args` (recent window, retention, then flag and payload per job): 1 or 0 per job. */
  private async runEnqueue(args: (string | number)[]): Promise<number[]> {
    const keys = [this.keys.waiting, this.keys.pending, this.keys.recent, this.shared.control]
    return (await scripts.enqueue.run(this.redis, keys, args)) as number[]
  }

  consume(handler: RefreshHandler, options: ConsumeOptions = {}): RefreshConsumer {
    const concurrency = checkConcurrency(options.concurrency)
    const connection = this.redis.duplicate()
    let stopped = false
    const loop = async (): Promise<void> => {
      while (!stopped) {
        const first = await connection.blmove(this.keys.waiting, this.keys.running, 'RIGHT', 'LEFT', this.pollSeconds)
        if (first === null) continue
        const more = (await scripts.takeMore.run(connection, [this.keys.waiting, this.keys.running, this.keys.pending], [first, concurrency - 1])) as string[]
        const batch = [first, ...more]
        await Promise.all(batch.map((payload) => this.run(payload, handler, options)))
        const done = connection.pipeline()
        for (const payload of batch) done.lrem(this.keys.running, 1, payload)
        await done.exec()
      }
    }
    const running = loop()
    const consumer: RefreshConsumer = {
      close: async () => {
        stopped = true
        this.consumers.delete(consumer)
        try {
          await running
        } finally {
          connection.disconnect()
        }
      },
    }
    this.consumers.add(consumer)
    return consumer
  }

  private async run(payload: string, handler: RefreshHandler, options: ConsumeOptions): Promise<void> {
    let job: RefreshJob | undefined
    try {
      job = checkJob(JSON.parse(payload))
      await handler(job)
    } catch (err) {
      options.onError?.(err, job ?? ({ table: '?', id: payload } satisfies RefreshJob))
    }
  }

  async claim(max: number, visibilityMs: number): Promise<ClaimedJob[]> {
    const keys = [this.keys.waiting, this.keys.claims, this.keys.inflight, this.keys.pending, this.keys.seq]
    const flat = (await scripts.claim.run(this.redis, keys, [max, visibilityMs, 'r'])) as string[]
    const claimed: ClaimedJob[] = []
    for (let i = 0; i + 1 < flat.length; i += 2) claimed.push(toClaimed(flat[i] as string, flat[i + 1] as string))
    return claimed
  }

  async ack(claims: readonly ClaimedJob[], outcomes: readonly SettledOutcome[] = []): Promise<number> {
    if (claims.length === 0) return 0
    const pairs = claims.flatMap((c, i) => [c.receipt, outcomes[i] ?? ''])
    const records = [...new Set(claims.map(recordOfClaim).filter((r) => r !== ''))]
    const keys = [this.keys.claims, this.keys.inflight, this.shared.totals, this.shared.failures]
    return (await scripts.ack.run(this.redis, keys, [claims.length, ...pairs, ...records])) as number
  }

  async release(claims: readonly ClaimedJob[]): Promise<void> {
    if (claims.length === 0) return
    const keys = [this.keys.waiting, this.keys.claims, this.keys.inflight, this.keys.pending]
    await scripts.release.run(this.redis, keys, claims.map((c) => c.receipt))
  }

  async fail(failed: readonly FailedClaim[], maxFailures: number): Promise<string[]> {
    if (failed.length === 0) return []
    const keys = [this.keys.waiting, this.keys.claims, this.keys.inflight, this.keys.pending, this.shared.failures, this.shared.dead]
    const args = failed.flatMap((f) => [f.claim.receipt, recordOfClaim(f.claim), f.reason])
    return (await scripts.fail.run(this.redis, keys, [maxFailures, ...args])) as string[]
  }

  async deadLetter(failed: readonly FailedClaim[]): Promise<void> {
    // maxFailures 0: every job goes to the dead-letter list, whatever its record's count.
    await this.fail(failed, 0)
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    return (await this.redis.lrange(this.shared.dead, 0, limit - 1)).map(parseDeadLetter)
  }

  async depth(): Promise<number> {
    const counts = await this.counts()
    return counts.waiting + counts.inFlight
  }

  async counts(): Promise<QueueCounts> {
    const results = (await this.redis
      .pipeline()
      .llen(this.keys.waiting)
      .llen(this.keys.running)
      .zcard(this.keys.inflight)
      .llen(this.shared.dead)
      .exec()) ?? []
    const [waiting, running, claimed, dead] = results.map(([err, n]) => {
      if (err) throw err
      return Number(n)
    }) as [number, number, number, number]
    return { waiting, inFlight: running + claimed, deadLetters: dead }
  }

  totals(): Promise<Record<SettledOutcome, number>> {
    return readTotals(this.redis, this.shared.totals)
  }

  async retire(quietMs: number): Promise<RetireCheck> {
    const { waiting, running, claims, inflight, pending, recent, seq } = this.keys
    const { control, rate, drainers, failures, totals } = this.shared
    // The first four are the ones the script checks; the dead-letter list is not among them.
    const keys = [waiting, running, inflight, control, claims, pending, recent, seq, rate, drainers, failures, totals]
    const [retired, w, inFlight, lastEnqueueAt, now] = (await scripts.retire.run(this.redis, keys, [quietMs])) as number[]
    return { retired: retired === 1, waiting: w ?? 0, inFlight: inFlight ?? 0, lastEnqueueAt: lastEnqueueAt ?? 0, now: now ?? 0 }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()))
  }
}
