import type { Redis } from 'ioredis'
import { listQueueKeys } from './keys.js'
import { checkConcurrency, checkQueueOptions, type QueueDriverOptions } from './options.js'
import { checkJob, type ConsumeOptions, type RefreshConsumer, type RefreshHandler, type RefreshJob, type RefreshQueue } from './refresh-queue.js'

export interface ListQueueOptions extends QueueDriverOptions {
  /**
   * How long a consumer blocks waiting for a job before it checks whether it
   * was closed (so close() resolves within about this long).
   * @default 0.5
   */
  pollSeconds?: number
}

/**
 * The plain Redis list queue many legacy apps use: LPUSH to enqueue, a worker
 * moves jobs (BLMOVE) to a `running` list while it works on them and removes
 * them when done. Jobs are JSON.
 */
export class ListRefreshQueue implements RefreshQueue {
  readonly driver = 'list'
  readonly name: string
  private readonly redis: Redis
  private readonly keys: { waiting: string; running: string }
  private readonly pollSeconds: number
  private readonly consumers = new Set<RefreshConsumer>()

  constructor(options: ListQueueOptions) {
    const checked = checkQueueOptions(options)
    this.redis = checked.redis
    this.name = checked.name
    this.keys = listQueueKeys(checked.prefix, checked.name)
    this.pollSeconds = options.pollSeconds ?? 0.5
  }

  async enqueue(jobs: readonly RefreshJob[]): Promise<void> {
    if (jobs.length === 0) return
    const payloads = jobs.map((job) => JSON.stringify(checkJob(job)))
    await this.redis.lpush(this.keys.waiting, ...payloads)
  }

  consume(handler: RefreshHandler, options: ConsumeOptions = {}): RefreshConsumer {
    const concurrency = checkConcurrency(options.concurrency)
    const connection = this.redis.duplicate()
    let stopped = false
    const loop = async (): Promise<void> => {
      while (!stopped) {
        const first = await connection.blmove(this.keys.waiting, this.keys.running, 'RIGHT', 'LEFT', this.pollSeconds)
        if (first === null) continue
        const batch = [first]
        if (concurrency > 1) {
          const more = connection.pipeline()
          for (let i = 1; i < concurrency; i++) more.lmove(this.keys.waiting, this.keys.running, 'RIGHT', 'LEFT')
          for (const [, payload] of (await more.exec()) ?? []) if (typeof payload === 'string') batch.push(payload)
        }
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

  async depth(): Promise<number> {
    const [[, waiting], [, running]] = ((await this.redis.pipeline().llen(this.keys.waiting).llen(this.keys.running).exec()) ?? []) as [
      [unknown, number],
      [unknown, number],
    ]
    return waiting + running
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()))
  }
}
