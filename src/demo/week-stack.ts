// What the week demo runs on: the demo app (several instances) with the
// cutover plugin reading route modes from a flags file that the playbook
// runner writes, the producer gate in front of the refresh queue, the capped
// legacy worker, a drainer waiting for the playbook's drain stage, and the
// shadow runner writing its samples to MySQL.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { FileAdminWriter } from '../flags/file-admin.js'
import { FileFlagSource } from '../flags/file-source.js'
import { meterDrainer } from '../meter/wrap-drain.js'
import { meterPool } from '../meter/wrap-pool.js'
import { meterRedis } from '../meter/wrap-redis.js'
import { createQueueControl, type QueueControl } from '../queue/control.js'
import { createDrainer, type Drainer } from '../queue/drainer.js'
import { ListRefreshQueue } from '../queue/list-queue.js'
import { mysqlThreadsRunning } from '../queue/pressure.js'
import { loopbackCandidateSource } from '../shadow/loopback-source.js'
import { pageCacheReader } from '../shadow/page-cache-reader.js'
import type { ShadowRecord } from '../shadow/record.js'
import { createShadowRunner } from '../shadow/runner.js'
import { createShadowWriter, type ShadowWriter } from '../shadow/writer.js'
import { LegacyCatalog } from './catalog.js'
import { closeAll } from './close-all.js'
import { startDemoStack, type DemoStack } from './stack.js'

/** The demo's read routes, as their `config.cutover` ids name them. */
export const WEEK_ROUTES = ['products.list', 'categories.products', 'products.get'] as const
/** The route whose page handler rounds prices when faults are on (demo app's `roundPrices`). */
export const FAULTY_ROUTE = 'products.list'
/** The drainer's rate until the playbook sets one (it starts paused). */
const DRAINER_RATE = 200
const SHADOW_TIMEOUT_MS = 10_000

export interface WeekStackOptions {
  pool: Pool
  /** Connections of the legacy worker and the drainer: not the app's, so neither queues the page path's queries. */
  workerPool: Pool
  redis: Redis
  prefix: string
  /** App instances sharing Redis, MySQL and the flags file. */
  instances: number
  faults: boolean
  /** Jobs per second the legacy worker fleet runs, all instances together. */
  workerRate: number
  /** Meter bucket, seconds (short: the gates read minutes of a sped-up week). */
  bucketSeconds: number
}

export interface WeekStack {
  urls: string[]
  stacks: DemoStack[]
  /** Writes route flags into the file every instance reads. */
  writer: FileAdminWriter
  control: QueueControl
  drainer: Drainer
  /** Settled when the drainer stops. */
  drained: Promise<unknown>
  shadowWriter: ShadowWriter
  /** Shadow records handed to the writer. */
  shadows(): number
  meterPrefix: string
  close(): Promise<void>
}

export async function startWeekStack(o: WeekStackOptions): Promise<WeekStack> {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-week-'))
  const writer = new FileAdminWriter({ path: join(dir, 'flags.yaml') })
  await writer.createRoutes([...WEEK_ROUTES])
  const control = createQueueControl({ redis: o.redis, prefix: o.prefix })
  // Drainers follow the control plane: paused until the playbook's drain stage sets a rate.
  await control.setDrain({ state: 'paused', rate: DRAINER_RATE })
  const shadowWriter = createShadowWriter({ pool: o.pool, pruneEveryMs: 0 })
  let sunk = 0
  const runner = createShadowRunner({
    sink: { write: (r: ShadowRecord) => (sunk++, shadowWriter.write(r)) },
    source: loopbackCandidateSource({ readCached: pageCacheReader() }),
    maxConcurrent: 8,
    maxPatchesPerMinute: 600,
    // Generous: on a busy machine a shadow that times out is an error, not a comparison, and gates wait for comparisons.
    timeoutMs: SHADOW_TIMEOUT_MS,
    slowMs: SHADOW_TIMEOUT_MS,
  })
  const sources: FileFlagSource[] = []
  const stacks: DemoStack[] = []
  const urls: string[] = []
  let drainer: Drainer | undefined
  let drained: Promise<unknown> = Promise.resolve()
  const meterPrefix = `${o.prefix}-meter`
  const close = (): Promise<void> =>
    closeAll([
      () => drainer?.stop(),
      ...stacks.map((s) => () => s.close()),
      ...sources.map((s) => () => s.close()),
      () => shadowWriter.close(),
      () => rm(dir, { recursive: true, force: true }),
    ])
  try {
    for (let i = 0; i < o.instances; i++) {
      const flags = new FileFlagSource({ path: writer.path, pollIntervalMs: 100 })
      sources.push(flags)
      await flags.start()
      const stack = await startDemoStack({
        pool: o.pool, redis: o.redis, prefix: o.prefix, meterPrefix, bucketSeconds: o.bucketSeconds, queue: 'list', pageCache: true,
        cutover: { flags, shadow: runner.handler, shadowLimits: { maxConcurrent: 8, timeout: SHADOW_TIMEOUT_MS } },
        faults: o.faults ? { roundPrices: true } : {},
        // A batch of 32 jobs per round of the worker's loop: fewer jobs per round left it far under its rate on a busy event loop.
        workerRate: o.workerRate / o.instances, workerConcurrency: 32, workerPool: o.workerPool,
        gate: { flags, control },
      })
      stacks.push(stack)
      urls.push(await stack.app.listen({ port: 0, host: '127.0.0.1' }))
    }
    const meter = (stacks[0] as DemoStack).meter
    const catalog = new LegacyCatalog(meterPool(o.workerPool, meter), meterRedis(o.redis, meter), o.prefix)
    drainer = createDrainer({
      queue: new ListRefreshQueue({ redis: o.redis, prefix: o.prefix }),
      redis: o.redis,
      refreshMany: (_table, ids) => catalog.refreshMany(ids),
      rate: DRAINER_RATE,
      pressure: { probe: mysqlThreadsRunning(o.workerPool) },
      ...meterDrainer(meter),
    })
    drained = drainer.start()
    return { urls, stacks, writer, control, drainer, drained, shadowWriter, shadows: () => sunk, meterPrefix, close }
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
}
