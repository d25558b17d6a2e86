// What the week demo runs on: the demo app instances, each in a process of
// its own (week-instance.ts: the app with the cutover plugin reading route
// modes from a flags file that the playbook runner writes, the producer gate
// in front of the refresh queue, its share of the capped legacy worker, the
// shadow runner writing its samples to MySQL), and here, off their event
// loops, the flags file's writer and a drainer waiting for the playbook's
// drain stage.
import { fork } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import { FileAdminWriter } from '../flags/file-admin.js'
import { Meter } from '../meter/meter.js'
import { meterDrainer } from '../meter/wrap-drain.js'
import { meterPool } from '../meter/wrap-pool.js'
import { meterRedis } from '../meter/wrap-redis.js'
import { createQueueControl, type QueueControl } from '../queue/control.js'
import { createDrainer, type Drainer } from '../queue/drainer.js'
import { ListRefreshQueue } from '../queue/list-queue.js'
import { mysqlThreadsRunning } from '../queue/pressure.js'
import { LegacyCatalog } from './catalog.js'
import { closeAll } from './close-all.js'
import type { WeekInstanceMessage, WeekInstanceOptions } from './week-instance.js'

/** The demo's read routes, as their `config.cutover` ids name them. */
export const WEEK_ROUTES = ['products.list', 'categories.products', 'products.get'] as const
/** The route whose page handler rounds prices when faults are on (demo app's `roundPrices`). */
export const FAULTY_ROUTE = 'products.list'
/** The drainer's rate until the playbook sets one (it starts paused). */
const DRAINER_RATE = 200
const SHADOW_TIMEOUT_MS = 10_000
/** How long an instance may take to start (a cold tsx compile on a busy machine) or to close. */
const INSTANCE_START_MS = 60_000
const INSTANCE_CLOSE_MS = 20_000

export interface WeekStackOptions {
  mysqlUrl: string
  database: string
  redisUrl: string
  /** Connections of the drainer: not the app's, so it does not queue the page path's queries. */
  workerPool: Pool
  redis: Redis
  prefix: string
  /** App instances sharing Redis, MySQL and the flags file, each a process. */
  instances: number
  faults: boolean
  /** Jobs per second the legacy worker fleet runs, all instances together. */
  workerRate: number
  /** Meter bucket, seconds (short: the gates read minutes of a sped-up week). */
  bucketSeconds: number
}

export interface WeekStack {
  urls: string[]
  /** Writes route flags into the file every instance reads. */
  writer: FileAdminWriter
  control: QueueControl
  drainer: Drainer
  /** Settled when the drainer stops. */
  drained: Promise<unknown>
  /** Shadow records the instances handed to their writers (known once they have closed). */
  shadows(): number
  meterPrefix: string
  close(): Promise<void>
}

/** A started instance process: its URL, and close() that stops it and resolves with its shadow count. */
interface Instance {
  url: string
  close(): Promise<number>
}

/** Forks one instance and waits until it listens. */
function startInstance(options: WeekInstanceOptions): Promise<Instance> {
  const self = fileURLToPath(import.meta.url)
  const file = self.replace(/week-stack\.(ts|js)$/, 'week-instance.$1')
  // Run from the sources (tsx), the child needs tsx too.
  const child = fork(file, [JSON.stringify(options)], { execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let closed: (shadows: number) => void = () => undefined
  const exited = new Promise<number>((resolve) => {
    let shadows = 0
    child.on('message', (m: WeekInstanceMessage) => m.kind === 'closed' && (shadows = m.shadows))
    child.on('exit', () => resolve(shadows))
    closed = resolve
  })
  const close = async (): Promise<number> => {
    if (child.exitCode !== null || child.signalCode !== null) return exited
    if (child.connected) child.send('stop')
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      closed(0)
    }, INSTANCE_CLOSE_MS)
    try {
      return await exited
    } finally {
      clearTimeout(timer)
    }
  }
  return new Promise<Instance>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`a week demo instance did not start within ${INSTANCE_START_MS / 1000} s`)), INSTANCE_START_MS)
    const fail = (err: Error): void => {
      clearTimeout(timer)
      void close().finally(() => reject(err))
    }
    child.on('message', (m: WeekInstanceMessage) => {
      if (m.kind === 'ready') {
        clearTimeout(timer)
        resolve({ url: m.url, close })
      } else if (m.kind === 'failed') fail(new Error(`a week demo instance failed to start: ${m.message}`))
    })
    child.on('error', fail)
    child.on('exit', (code) => fail(new Error(`a week demo instance exited with code ${code} before it listened`)))
  })
}

export async function startWeekStack(o: WeekStackOptions): Promise<WeekStack> {
  const dir = await mkdtemp(join(tmpdir(), 'cutover-week-'))
  const writer = new FileAdminWriter({ path: join(dir, 'flags.yaml') })
  await writer.createRoutes([...WEEK_ROUTES])
  const control = createQueueControl({ redis: o.redis, prefix: o.prefix })
  // Drainers follow the control plane: paused until the playbook's drain stage sets a rate.
  await control.setDrain({ state: 'paused', rate: DRAINER_RATE })
  const meterPrefix = `${o.prefix}-meter`
  // The drainer's own meter, beside the instances' (they add to the same counters); it writes through a connection it does not count.
  const meterClient = o.redis.duplicate()
  const meter = new Meter({ redis: meterClient, prefix: meterPrefix, bucketSeconds: o.bucketSeconds })
  const instances: Instance[] = []
  let sunk = 0
  let drainer: Drainer | undefined
  let drained: Promise<unknown> = Promise.resolve()
  const close = (): Promise<void> =>
    closeAll([
      () => drainer?.stop(),
      async () => {
        for (const shadows of await Promise.all(instances.map((i) => i.close()))) sunk += shadows
      },
      () => meter.close(),
      () => meterClient.disconnect(),
      () => rm(dir, { recursive: true, force: true }),
    ])
  try {
    const started = await Promise.allSettled(
      Array.from({ length: o.instances }, () =>
        startInstance({
          mysqlUrl: o.mysqlUrl, database: o.database, redisUrl: o.redisUrl, prefix: o.prefix, meterPrefix, bucketSeconds: o.bucketSeconds,
          flagsPath: writer.path, faults: o.faults, workerRate: o.workerRate / o.instances, shadowTimeoutMs: SHADOW_TIMEOUT_MS,
        }),
      ),
    )
    for (const s of started) if (s.status === 'fulfilled') instances.push(s.value)
    const failed = started.find((s) => s.status === 'rejected')
    if (failed) throw failed.reason
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
    return { urls: instances.map((i) => i.url), writer, control, drainer, drained, shadows: () => sunk, meterPrefix, close }
  } catch (err) {
    await close().catch(() => undefined)
    throw err
  }
}
