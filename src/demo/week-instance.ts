// One app instance of the week demo, in a process of its own (week-stack.ts
// forks one per instance): the demo app with the cutover plugin reading route
// modes from the shared flags file, the producer gate, its share of the
// capped legacy worker fleet, and a shadow runner writing its samples to
// MySQL. Apart, each instance has an event loop and a core's worth of CPU to
// itself, as a fleet's instances do; the playbook runner, the drainer and the
// sampler stay in the parent. Started with the options as JSON in argv[2];
// sends `{ kind: 'ready', url }`, stops on 'stop' (or when the parent goes)
// and sends `{ kind: 'closed', shadows }` before it exits.
import { Redis } from 'ioredis'
import { FileFlagSource } from '../flags/file-source.js'
import { createQueueControl } from '../queue/control.js'
import { loopbackCandidateSource } from '../shadow/loopback-source.js'
import { pageCacheReader } from '../shadow/page-cache-reader.js'
import type { ShadowRecord } from '../shadow/record.js'
import { createShadowRunner } from '../shadow/runner.js'
import { createShadowWriter } from '../shadow/writer.js'
import { closeAll } from './close-all.js'
import { openDemoDatabase } from './services.js'
import { startDemoStack, type DemoStack } from './stack.js'

export interface WeekInstanceOptions {
  mysqlUrl: string
  database: string
  redisUrl: string
  prefix: string
  meterPrefix: string
  bucketSeconds: number
  flagsPath: string
  faults: boolean
  /** Jobs per second this instance's share of the legacy worker fleet runs. */
  workerRate: number
  shadowTimeoutMs: number
}

export type WeekInstanceMessage = { kind: 'ready'; url: string } | { kind: 'closed'; shadows: number } | { kind: 'failed'; message: string }

const options = JSON.parse(process.argv[2] ?? '{}') as WeekInstanceOptions
const send = (message: WeekInstanceMessage): Promise<void> =>
  new Promise((resolve) => (process.connected ? process.send?.(message, () => resolve()) : resolve()))

const pool = await openDemoDatabase(options.mysqlUrl, options.database, 20)
// The worker's connections are not the app's, so neither queues the other's queries.
const workerPool = await openDemoDatabase(options.mysqlUrl, options.database, 6)
const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 })
const flags = new FileFlagSource({ path: options.flagsPath, pollIntervalMs: 100 })
const shadowWriter = createShadowWriter({ pool, pruneEveryMs: 0 })
let shadows = 0
let stack: DemoStack | undefined
let stopping: Promise<void> | undefined

async function stop(): Promise<void> {
  await closeAll([() => stack?.close(), () => flags.close(), () => shadowWriter.close(), () => workerPool.end(), () => pool.end(), () => redis.quit()])
}

async function start(): Promise<string> {
  await redis.connect()
  await flags.start()
  const runner = createShadowRunner({
    sink: { write: (r: ShadowRecord) => (shadows++, shadowWriter.write(r)) },
    source: loopbackCandidateSource({ readCached: pageCacheReader() }),
    maxConcurrent: 8,
    maxPatchesPerMinute: 600,
    // Generous: on a busy machine a shadow that times out is an error, not a comparison, and gates wait for comparisons.
    timeoutMs: options.shadowTimeoutMs,
    slowMs: options.shadowTimeoutMs,
  })
  stack = await startDemoStack({
    pool, redis, prefix: options.prefix, meterPrefix: options.meterPrefix, bucketSeconds: options.bucketSeconds, queue: 'list', pageCache: true,
    // No CPU budget: a playbook day here is 20 s, and its shadow gate needs 200 samples of each route in it (at 10%, all
    // there are); a real day has plenty. The budget is docs/shadow.md's; the bench measures it.
    cutover: { flags, shadow: runner.handler, shadowLimits: { maxConcurrent: 8, timeout: options.shadowTimeoutMs, maxLoopShare: Infinity } },
    faults: options.faults ? { roundPrices: true } : {},
    // A batch of 32 jobs per round of the worker's loop: fewer jobs per round left it far under its rate on a busy event loop.
    workerRate: options.workerRate, workerConcurrency: 32, workerPool,
    gate: { flags, control: createQueueControl({ redis, prefix: options.prefix }) },
  })
  return stack.app.listen({ port: 0, host: '127.0.0.1' })
}

const shutdown = (): void => {
  stopping ??= stop()
    .catch((err: unknown) => console.error(`week demo instance: closing failed: ${(err as Error).message}`))
    .then(() => send({ kind: 'closed', shadows }))
    .finally(() => process.disconnect?.())
}
process.on('message', (message) => message === 'stop' && shutdown())
process.on('disconnect', shutdown)

try {
  await send({ kind: 'ready', url: await start() })
} catch (err) {
  await send({ kind: 'failed', message: (err as Error).message })
  process.exitCode = 1
  shutdown()
}
