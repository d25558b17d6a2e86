import { Queue, Worker } from 'bullmq'
import type { Redis } from 'ioredis'
import { bullmqPrefix } from './keys.js'
import { checkConcurrency, checkQueueOptions, type QueueDriverOptions } from './options.js'
import { checkJob, type ConsumeOptions, type RefreshConsumer, type RefreshHandler, type RefreshJob, type RefreshQueue } from './refresh-queue.js'

export type BullmqQueueOptions = QueueDriverOptions

/** The legacy refresh queue on BullMQ: one BullMQ job per refresh job, named after its table. */
export class BullmqRefreshQueue implements RefreshQueue {
  readonly driver = 'bullmq'
  readonly name: string
  private readonly redis: Redis
  private readonly prefix: string
  private readonly connection: Redis
  private readonly queue: Queue
  private readonly consumers = new Set<RefreshConsumer>()

  constructor(options: BullmqQueueOptions) {
    const checked = checkQueueOptions(options)
    this.redis = checked.redis
    this.name = checked.name
    this.prefix = bullmqPrefix(checked.prefix)
    this.connection = this.redis.duplicate()
    this.queue = new Queue(this.name, { connection: this.connection, prefix: this.prefix })
  }

  async enqueue(jobs: readonly RefreshJob[]): Promise<void> {
    if (jobs.length === 0) return
    const checked = jobs.map((job) => checkJob(job))
    await this.queue.addBulk(
      checked.map((data) => ({ name: data.table, data, opts: { removeOnComplete: true, removeOnFail: { count: 1000 } } })),
    )
  }

  consume(handler: RefreshHandler, options: ConsumeOptions = {}): RefreshConsumer {
    const concurrency = checkConcurrency(options.concurrency)
    // BullMQ workers block on their connection and need maxRetriesPerRequest: null.
    const connection = this.redis.duplicate({ maxRetriesPerRequest: null })
    const worker = new Worker<RefreshJob>(this.name, async (job) => handler(checkJob(job.data)), {
      connection,
      prefix: this.prefix,
      concurrency,
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

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children')
    return Object.values(counts).reduce((a, b) => a + b, 0)
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.close()))
    await this.queue.close()
    this.connection.disconnect()
  }
}
