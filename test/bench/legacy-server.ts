// A server for the legacy benchmark, in its own process:
//   legacy            the demo app as it is, metered, with its refresh worker
//   legacy-unmetered  the same app and worker with no meter at all (overhead baseline)
//   legacy-metered    the same app, metered, worker off (overhead comparison)
//   legacy-bare       the same app, unmetered, worker off (overhead baseline)
//   legacy-context    legacy-bare plus only the meter's AsyncLocalStorage request context
//   legacy-plugin     legacy-bare plus the meter plugin (context, request counts, latency), clients not metered
//   legacy-plugin-redis  legacy-plugin with the object cache's Redis client metered (meterRedis)
//   pagecache         the demo app metered, page cache on for the read routes
//   mode-off          the same with products.list in mode off (the legacy path through cutover), worker on
//   constant          plain Fastify answering /api/products with one list page's JSON serialized once at
//                     start (the ceiling of anything answered in-process)
//   shadow-off        the demo app metered with cutover registered, products.list in mode off, worker off
//   shadow-10         the same with products.list in shadow mode at 10 %: the shadow engine, samples
//                     written to the database MYSQL_URL names (migrated by the parent)
// Env: MYSQL_URL (database seeded by the parent), REDIS_URL, PREFIX, METER_PREFIX.
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import Fastify, { type FastifyInstance } from 'fastify'
import { buildDemoApp } from '../../src/demo/app.js'
import { PageCatalog } from '../../src/demo/page-catalog.js'
import { runWithMeterContext } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'
import { startDemoStack } from '../../src/demo/stack.js'
import { startLegacyWorker } from '../../src/demo/worker.js'
import { StaticFlagSource } from '../../src/flags/static-source.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { loopbackCandidateSource } from '../../src/shadow/loopback-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter } from '../../src/shadow/writer.js'

const mode = process.argv[2] ?? 'legacy'
const need = (name: string): string => {
  const value = process.env[name]
  if (!value) throw new Error(`${name} is not set`)
  return value
}
const prefix = need('PREFIX')
const redis = new Redis(need('REDIS_URL'))
const pool = mysql.createPool({ uri: need('MYSQL_URL'), connectionLimit: 20 })

let close: () => Promise<void>
let listen: (opts: { port: number; host: string }) => Promise<string>
if (mode === 'constant') {
  const body = JSON.stringify(await new PageCatalog(pool).list({ page: 1, sort: 'id' }))
  const app = Fastify({ logger: false })
  app.get('/api/products', async (_request, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8')
    return body
  })
  listen = (opts) => app.listen(opts)
  close = () => app.close()
} else if (mode === 'legacy-unmetered' || mode === 'legacy-bare' || mode === 'legacy-context') {
  const queue = new ListRefreshQueue({ redis, prefix })
  const app = await buildDemoApp({
    pool, redis, queue, prefix,
    ...(mode === 'legacy-context' ? { beforeRoutes: async (a: FastifyInstance) => {
      a.addHook('onRequest', (_request, _reply, done) => runWithMeterContext({ route: 'r', shadow: false, source: 'request' }, done))
    } } : {}),
  })
  const worker = mode === 'legacy-unmetered' ? startLegacyWorker({ queue, pool, redis, prefix, concurrency: 32 }) : undefined
  listen = (opts) => app.listen(opts)
  close = async () => {
    await app.close()
    await worker?.close()
  }
} else if (mode === 'legacy-plugin' || mode === 'legacy-plugin-redis') {
  const meterClient = redis.duplicate()
  const meter = new Meter({ redis: meterClient, prefix: need('METER_PREFIX') })
  const queue = new ListRefreshQueue({ redis, prefix })
  const app = await buildDemoApp({ pool, redis: mode === 'legacy-plugin-redis' ? meterRedis(redis, meter) : redis, queue, prefix, meter })
  listen = (opts) => app.listen(opts)
  close = async () => {
    await app.close()
    await meter.close()
    meterClient.disconnect()
  }
} else if (mode === 'shadow-off' || mode === 'shadow-10') {
  const writer = createShadowWriter({ pool, pruneEveryMs: 0 })
  const runner = createShadowRunner({ sink: writer, source: loopbackCandidateSource({ readCached: pageCacheReader() }) })
  const flags = new StaticFlagSource({ 'products.list': mode === 'shadow-10' ? { mode: 'shadow', shadowRate: 0.1 } : 'off' })
  const stack = await startDemoStack({
    pool, redis, prefix, meterPrefix: need('METER_PREFIX'), queue: 'list', pageCache: true, worker: false,
    cutover: { flags, shadow: runner.handler },
  })
  listen = (opts) => stack.app.listen(opts)
  close = async () => {
    await stack.close()
    await writer.close()
  }
} else if (mode === 'mode-off') {
  const stack = await startDemoStack({
    pool, redis, prefix, meterPrefix: need('METER_PREFIX'), queue: 'list', pageCache: true, worker: true, workerConcurrency: 32,
    cutover: { flags: new StaticFlagSource({ 'products.list': 'off' }) },
  })
  listen = (opts) => stack.app.listen(opts)
  close = () => stack.close()
} else {
  const stack = await startDemoStack({
    pool, redis, prefix, meterPrefix: need('METER_PREFIX'), queue: 'list',
    pageCache: mode === 'pagecache', worker: mode !== 'legacy-metered', workerConcurrency: 32,
  })
  listen = (opts) => stack.app.listen(opts)
  close = () => stack.close()
}
const address = await listen({ port: 0, host: '127.0.0.1' })
// Forked by the bench: the port over IPC; run on its own (under a profiler): on stdout.
if (process.send) process.send({ port: Number(new URL(address).port) })
else console.log(JSON.stringify({ port: Number(new URL(address).port) }))
// For profiling (`node --cpu-prof`, which writes its profile on a normal exit only): SIGTERM, or BENCH_EXIT_AFTER_MS.
async function shutdown(): Promise<void> {
  await close()
  await pool.end()
  redis.disconnect()
  process.exit(0)
}
process.on('SIGTERM', () => void shutdown())
if (process.env.BENCH_EXIT_AFTER_MS) setTimeout(() => void shutdown(), Number(process.env.BENCH_EXIT_AFTER_MS))
