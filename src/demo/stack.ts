import type { FastifyInstance } from 'fastify'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { Registry } from 'prom-client'
import { Meter } from '../meter/meter.js'
import { meterPool } from '../meter/wrap-pool.js'
import { meterGatedQueue } from '../meter/wrap-drain.js'
import { meterQueue, type MeteredRefreshQueue } from '../meter/wrap-queue.js'
import { meterRedis } from '../meter/wrap-redis.js'
import { BullmqRefreshQueue } from '../queue/bullmq-queue.js'
import { ListRefreshQueue } from '../queue/list-queue.js'
import type { GateOptions } from '../queue/gate-policy.js'
import type { DrainableQueue, RefreshConsumer, RefreshQueue } from '../queue/refresh-queue.js'
import { buildDemoApp, type DemoFaults } from './app.js'
import { closeAll } from './close-all.js'
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
  /** The worker's own MySQL pool (a worker fleet is other processes, with connections of their own). @default pool */
  workerPool?: Pool
  /** Jobs per second the worker runs at most (a legacy fleet's capacity). @default unlimited */
  workerRate?: number
  /** Put the producer gate between the routes and the queue (each route's jobs passed, deduped or dropped). @default none */
  gate?: Omit<GateOptions, 'observe'>
}

export interface DemoStack {
  app: FastifyInstance
  meter: Meter
  queue: MeteredRefreshQueue
  /**
   * Stops the app, the worker, the queue and the meter (flushing it), each even when an
   * earlier step failed; leaves the caller's pool and Redis open.
   */
  close(): Promise<void>
}

export function createQueue(driver: QueueDriverName, redis: Redis, prefix: string): RefreshQueue & DrainableQueue {
  return driver === 'bullmq' ? new BullmqRefreshQueue({ redis, prefix }) : new ListRefreshQueue({ redis, prefix })
}

/** What a stack has started so far; close() stops whatever is there. */
interface StartedParts {
  app?: FastifyInstance
  worker?: RefreshConsumer
  stopSampling?: () => void
}

/** The app on metered clients, its worker and the queue-depth sampler; records each in `parts` as it starts. */
async function startParts(options: DemoStackOptions, meter: Meter, queue: MeteredRefreshQueue, parts: StartedParts): Promise<FastifyInstance> {
  const pool = meterPool(options.pool, meter)
  const redis = meterRedis(options.redis, meter)
  const app = await buildDemoApp({
    pool, redis, queue, meter, prefix: options.prefix, metrics: options.metrics ?? false,
    ...(options.pageCache ? { pageCache: demoPageCache({ redis, prefix: options.prefix, ...(options.cutover ? { plugin: options.cutover } : {}) }) } : {}),
    ...(options.faults ? { faults: options.faults } : {}),
  })
  parts.app = app
  if (options.worker ?? true) {
    parts.worker = startLegacyWorker({
      queue, pool: options.workerPool ? meterPool(options.workerPool, meter) : pool, redis, prefix: options.prefix, concurrency: options.workerConcurrency ?? 16,
      ...(options.workerRate !== undefined ? { rate: options.workerRate } : {}),
      onError: (err) => app.log.error(err),
    })
  }
  parts.stopSampling = queue.sampleDepth(500)
  return app
}

/**
 * The legacy app and its worker, measured: every client wrapped by the meter.
 * When it fails part-way, what it had opened is closed before the error is thrown.
 */
export async function startDemoStack(options: DemoStackOptions): Promise<DemoStack> {
  // The meter writes through its own connection, which it does not count.
  const meterRedisClient = options.redis.duplicate()
  const meter = new Meter({
    redis: meterRedisClient,
    prefix: options.meterPrefix ?? options.prefix,
    bucketSeconds: options.bucketSeconds ?? 60,
    ...(options.metrics ? { registry: new Registry() } : {}),
  })
  const raw = createQueue(options.queue, options.redis, options.prefix)
  const queue = options.gate ? meterGatedQueue(raw, meter, options.gate) : meterQueue(raw, meter)
  const parts: StartedParts = {}
  // No new requests first, then no new jobs; the meter flushes last. A part never started is skipped.
  const close = (): Promise<void> =>
    closeAll([
      () => parts.stopSampling?.(),
      () => parts.app?.close(),
      () => parts.worker?.close(),
      () => queue.depth().catch(() => undefined),
      () => queue.close(),
      () => meter.close(),
      () => meterRedisClient.disconnect(),
    ])
  try {
    const app = await startParts(options, meter, queue, parts)
    return { app, meter, queue, close }
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
}
