import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import type { RefreshConsumer, RefreshQueue } from '../queue/refresh-queue.js'
import { LegacyCatalog } from './catalog.js'

export interface LegacyWorkerOptions {
  /** The refresh queue (wrap it with meterQueue so reads are charged to each job's origin). */
  queue: RefreshQueue
  pool: Pool
  redis: Redis
  /** Prefix of the object-cache keys, as the app's. */
  prefix: string
  /** Jobs run at once. @default 16 */
  concurrency?: number
  onError?: (error: unknown) => void
  /**
   * Jobs per second at most, all jobs of this worker together: the capacity of
   * a legacy worker fleet, which falls behind when the routes enqueue faster.
   * @default unlimited
   */
  rate?: number
}

/** Hands out start times `1000 / rate` ms apart, so jobs run at most `rate` a second. */
function pacer(rate: number): () => Promise<void> {
  const gapMs = 1000 / rate
  let next = 0
  return () => {
    const now = Date.now()
    next = Math.max(next, now)
    const wait = next - now
    next += gapMs
    return wait <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, wait))
  }
}

/** The legacy refresh worker: per job, one `SELECT ... WHERE id = ?` and a rewrite of that row's key. */
export function startLegacyWorker(options: LegacyWorkerOptions): RefreshConsumer {
  const catalog = new LegacyCatalog(options.pool, options.redis, options.prefix)
  const turn = options.rate === undefined ? undefined : pacer(options.rate)
  return options.queue.consume(
    async (job) => {
      if (turn) await turn()
      if (job.table === 'products') await catalog.refresh(Number(job.id))
    },
    { concurrency: options.concurrency ?? 16, ...(options.onError ? { onError: options.onError } : {}) },
  )
}
