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
}

/** The legacy refresh worker: per job, one `SELECT ... WHERE id = ?` and a rewrite of that row's key. */
export function startLegacyWorker(options: LegacyWorkerOptions): RefreshConsumer {
  const catalog = new LegacyCatalog(options.pool, options.redis, options.prefix)
  return options.queue.consume(
    async (job) => {
      if (job.table === 'products') await catalog.refresh(Number(job.id))
    },
    { concurrency: options.concurrency ?? 16, ...(options.onError ? { onError: options.onError } : {}) },
  )
}
