// `npm run bench -- drain`: the legacy refresh worker against the drainer on
// the same backlog (100,000 jobs over the demo's 10,000 products), in one run:
// jobs/s, DB queries per job (target <= 0.02 at batch 100), MySQL Com_select
// per job from the server's own counters, and rate accuracy at three set rates
// (target within +-5 %).
import { Redis } from 'ioredis'
import mysql, { type Pool } from 'mysql2/promise'
import { LegacyCatalog } from '../../src/demo/catalog.js'
import { demoRefreshMany } from '../../src/demo/refresh-many.js'
import { seedDemoData } from '../../src/demo/schema.js'
import { databaseUrl, deleteKeys } from '../../src/demo/services.js'
import { createDrainer } from '../../src/queue/drainer.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { mysqlThreadsRunning } from '../../src/queue/pressure.js'

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const BACKLOG = Number(process.env.BENCH_DRAIN_JOBS ?? 100_000)
const RATES = [200, 1000, 3000]
const RATE_SECONDS = Number(process.env.BENCH_DRAIN_RATE_SECONDS ?? 8)

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A pool that counts the queries made through it. */
function counting(pool: Pool): { pool: Pool; queries: () => number } {
  let n = 0
  const wrapped = new Proxy(pool, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown
      if (typeof value !== 'function') return value
      if (prop !== 'query' && prop !== 'execute') return value.bind(target)
      return (...args: unknown[]) => {
        n++
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
  return { pool: wrapped, queries: () => n }
}

async function comSelect(admin: mysql.Connection): Promise<number> {
  const [rows] = await admin.query("SHOW GLOBAL STATUS LIKE 'Com_select'")
  return Number((rows as Array<{ Value: string }>)[0]?.Value)
}

const POOL_SIZE = 16

/**
 * Com_select of the pool's own sessions, added up: every connection of the
 * pool held at once (so each is read once), its SHOW SESSION STATUS read.
 * Unlike the global counter, other clients of the server don't count.
 */
async function sessionComSelect(pool: Pool): Promise<number> {
  const connections = await Promise.all(Array.from({ length: POOL_SIZE }, () => pool.getConnection()))
  try {
    const values = await Promise.all(connections.map(async (c) => {
      const [rows] = await c.query("SHOW SESSION STATUS LIKE 'Com_select'")
      return Number((rows as Array<{ Value: string }>)[0]?.Value)
    }))
    return values.reduce((a, b) => a + b, 0)
  } finally {
    for (const c of connections) c.release()
  }
}

async function backlog(queue: ListRefreshQueue, jobs: number): Promise<void> {
  let seed = 11
  const random = (): number => ((seed = (seed * 16807) % 2147483647) / 2147483647)
  for (let start = 0; start < jobs; start += 5000) {
    // Skewed as list pages are: popular products far more often.
    const chunk = Array.from({ length: Math.min(5000, jobs - start) }, () => ({ table: 'products', id: Math.floor(10_000 * random() ** 2) + 1, origin: 'products.list' }))
    await queue.enqueue(chunk)
  }
}

interface Phase {
  name: string
  seconds: number
  jobs: number
  queries: number
  /** Com_select of the pool's sessions over the phase. */
  comSelect: number
  /** Com_select of the whole server over the phase (other clients included). */
  comSelectGlobal: number
}

async function measure(name: string, admin: mysql.Connection, raw: Pool, queries: () => number, work: () => Promise<number>): Promise<Phase> {
  const [q0, s0, g0] = [queries(), await sessionComSelect(raw), await comSelect(admin)]
  const t0 = Date.now()
  const jobs = await work()
  const seconds = (Date.now() - t0) / 1000
  const [s1, g1] = [await sessionComSelect(raw), await comSelect(admin)]
  return { name, seconds, jobs, queries: queries() - q0, comSelect: s1 - s0, comSelectGlobal: g1 - g0 }
}

export async function run(): Promise<void> {
  const database = 'cutover_bench_drain'
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``)
  const raw = mysql.createPool({ uri: databaseUrl(MYSQL_URL, database), connectionLimit: POOL_SIZE, maxIdle: POOL_SIZE, idleTimeout: 600_000 })
  await seedDemoData(raw)
  const redis = new Redis(REDIS_URL)
  const prefix = `cutover-bench-drain-${process.pid}`
  const { pool, queries } = counting(raw)
  try {
    const phases: Phase[] = []

    // 1. The legacy worker: one SELECT ... WHERE id = ? and one SET per job, 16 at once.
    const legacyQueue = new ListRefreshQueue({ redis, prefix, name: 'legacy', pollSeconds: 0.05 })
    await backlog(legacyQueue, BACKLOG)
    const catalog = new LegacyCatalog(pool, redis, prefix)
    phases.push(await measure('legacy worker (concurrency 16)', admin, raw, queries, async () => {
      const consumer = legacyQueue.consume(async (job) => catalog.refresh(Number(job.id)), { concurrency: 16 })
      while ((await legacyQueue.depth()) > 0) await sleep(50)
      await consumer.close()
      return BACKLOG
    }))

    // 2. The drainer on the same backlog: batch 100, no rate limit, the Threads_running probe on.
    const drainQueue = new ListRefreshQueue({ redis, prefix, name: 'drain' })
    await backlog(drainQueue, BACKLOG)
    phases.push(await measure('drainer (batch 100, unlimited)', admin, raw, queries, async () => {
      const drainer = createDrainer({
        queue: drainQueue, redis, refreshMany: demoRefreshMany({ pool, redis, prefix }), rate: 1_000_000, batchSize: 100, untilDepth: 0,
        pressure: { probe: mysqlThreadsRunning(raw) },
      })
      const result = await drainer.start()
      return result.totals.refreshed + result.totals.superseded
    }))

    const base = phases[0] as Phase
    console.log(`\nlegacy refresh worker vs drainer, ${BACKLOG.toLocaleString('en-US')} jobs each over 10,000 products (targets: <= 0.02 DB queries per job)`)
    console.log('Com_select: the server\'s counters of the pool\'s own sessions (SHOW SESSION STATUS), and its global counter (other clients of the server included)')
    console.table(phases.map((p) => ({
      case: p.name,
      'jobs/s': Math.round(p.jobs / p.seconds),
      'vs legacy': `${((p.jobs / p.seconds) / (base.jobs / base.seconds)).toFixed(1)}x`,
      seconds: p.seconds.toFixed(1),
      'DB queries/job': (p.queries / p.jobs).toFixed(4),
      'Com_select/job': (p.comSelect / p.jobs).toFixed(4),
      'Com_select/job (global)': (p.comSelectGlobal / p.jobs).toFixed(4),
    })))

    await rateAccuracy(redis, prefix, pool)
  } finally {
    await deleteKeys(redis, `${prefix}:*`)
    redis.disconnect()
    await raw.end()
    await admin.end()
  }
}

/** Two drainers sharing one set rate; the jobs they ack over RATE_SECONDS after a second's warm-up, against the rate. */
async function rateAccuracy(redis: Redis, prefix: string, pool: Pool): Promise<void> {
  const rows = []
  for (const rate of RATES) {
    const queue = new ListRefreshQueue({ redis, prefix, name: `rate${rate}` })
    await backlog(queue, Math.ceil(rate * (RATE_SECONDS + 3) * 1.2))
    const drainers = [0, 1].map(() => createDrainer({ queue, redis, refreshMany: demoRefreshMany({ pool, redis, prefix }), rate }))
    for (const d of drainers) void d.start()
    await sleep(1000)
    const before = await queue.totals()
    const t0 = Date.now()
    await sleep(RATE_SECONDS * 1000)
    const after = await queue.totals()
    const seconds = (Date.now() - t0) / 1000
    await Promise.all(drainers.map((d) => d.stop()))
    const done = after.refreshed + after.superseded - before.refreshed - before.superseded
    const measured = done / seconds
    rows.push({ 'set rate (jobs/s)': rate, 'measured (jobs/s)': measured.toFixed(1), error: `${(((measured - rate) / rate) * 100).toFixed(2)} %`, drainers: 2, seconds: seconds.toFixed(1) })
  }
  console.log(`\nrate accuracy: two drainers sharing one rate in Redis, ${RATE_SECONDS} s each after 1 s of warm-up (target within +-5 %)`)
  console.table(rows)
}
