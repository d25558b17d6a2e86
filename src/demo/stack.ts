import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { Registry } from 'prom-client'
import { Meter } from '../meter/meter.js'
import { meterPool } from '../meter/wrap-pool.js'
import { meterQueue, type MeteredRefreshQueue } from '../meter/wrap-queue.js'
import { meterRedis } from '../meter/wrap-redis.js'
import { BullmqRefreshQueue } from '../queue/bullmq-queue.js'
import { ListRefreshQueue } from '../queue/list-queue.js'
import type { RefreshConsumer, RefreshQueue } from '../queue/refresh-queue.js'
import { buildDemoApp, type DemoFaults } from './app.js'
import { demoPageCache, type DemoPluginOptions } from './page-cache.js'
import { startLegacyWorker } from './worker.js'

export type QueueDriverName = 'list' | 'bullmq'

export interface DemoStackOptions {
  pool: Pool
  redis: Redis
  /** Prefix of the object cache and the refresh queue. */
  prefix: string
  /** Prefix the meter writes its counters under. @default prefix */
  meterPrefix?: string
  /** Meter time bucket, seconds. @default 60 */
  bucketSeconds?: number
  queue: QueueDriverName
  /** Put cutover's page cache in front of the read routes (their refresh jobs stop). @default false */
  pageCache?: boolean
  /** Plugin options for the page cache (flag source, shadow handler); without them every route is on. @default none */
  cutover?: DemoPluginOptions
  /** Deliberate differences between the paths (see DemoFaults). @default none */
  faults?: DemoFaults
  /** Serve /metrics. @default false */
  metrics?: boolean
  /** Run the legacy worker in this process. @default true */
  worker?: boolean
  /** Jobs the worker runs at once. @default 16 */
  workerConcurrency?: number
}

export interface DemoStack {
  app: FastifyInstance
  meter: Meter
  queue: MeteredRefreshQueue
  /** Stops the worker, the app and the meter (flushing it); leaves the caller's pool and Redis open. */
  close(): Promise<void>
}

export function createQueue(driver: QueueDriverName, redis: Redis, prefix: string): RefreshQueue {
  return driver === 'bullmq' ? new BullmqRefreshQueue({ redis, prefix }) : new ListRefreshQueue({ redis, prefix })
}

/** The legacy app and its worker, measured: every client wrapped by the meter. */
export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  // The meter writes through its own connection, which it does not count.
  const meterRedisClient = options.redis.duplicate()
  const meter = new Meter({
    redis: meterRedisClient,
    prefix: options.meterPrefix ?? options.prefix,
    bucketSeconds: options.bucketSeconds ?? 60,
    ...(options.metrics ? { registry: new Registry() } : {}),
  })
  const queue = meterQueue(createQueue(options.queue, options.redis, options.prefix), meter)
  const pool = meterPool(options.pool, meter)
  const redis = meterRedis(options.redis, meter)
  const app = await buildDemoApp({
    pool, redis, queue, meter, prefix: options.prefix, metrics: options.metrics ?? false,
    ...(options.pageCache ? { pageCache: demoPageCache({ redis, prefix: options.prefix, ...(options.cutover ? { plugin: options.cutover } : {}) }) } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  })
  let worker: RefreshConsumer | undefined
  if (options.worker ?? true) {
    worker = startLegacyWorker({
      queue, pool, redis, prefix: options.prefix, concurrency: options.workerConcurrency ?? 16,
      onError: (err) => app.log.error(err),
    })
  }
  const stopSampling = queue.sampleDepth(500)
  return {
    app,
    meter,
    queue,
    async close() {
      stopSampling()
      await app.close()
      await worker?.close()
      await queue.depth().catch(() => undefined)
      await queue.close()
      await meter.close()
      meterRedisClient.disconnect()
    },
  }
}
