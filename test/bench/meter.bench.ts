// The meter's overhead on the legacy list route (target <= 3 % of throughput),
// as server CPU time per request and req/s, on one or more Node binaries in one run.
import { execFileSync } from 'node:child_process'
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { seedDemoData } from '../../src/demo/schema.js'
import { databaseUrl, deleteKeys } from '../../src/demo/services.js'
import { threadCpuSeconds } from './cpu-time.js'
import { pinToCpu, startServer, type BenchServer } from './harness.js'
import { medianInterval } from './stats.js'
import { slicedLoad } from './steady-load.js'

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
/** One list page: every request makes the same Redis calls (its query key stays cached). */
const PATH = '/api/products?page=1&sort=id'
const server = new URL('./legacy-server.ts', import.meta.url)

/** The cases, baseline first: legacy-server.ts modes, all with the worker off. */
const CASES = [
  ['no meter', 'legacy-bare'],
  ['request context only', 'legacy-context'],
  ['meter plugin only', 'legacy-plugin'],
  ['plugin + metered Redis', 'legacy-plugin-redis'],
  ['fully metered', 'legacy-metered'],
] as const

interface Round {
  rps: number
  p50: number
  /** Server CPU microseconds per request. */
  cpuUs: number
}

interface Measured {
  node: string
  name: string
  server: BenchServer
  rounds: Round[]
}

/**
 * One round: every server loaded at `rate` in 50 ms turns for `seconds` each,
 * with the CPU time each one's threads used over the round.
 */
async function measureRound(measured: Measured[], seconds: number, rate: number): Promise<void> {
  const before = measured.map((m) => threadCpuSeconds(m.server.pid) ?? Number.NaN)
  const results = await slicedLoad({ urls: measured.map((m) => m.server.url + PATH), seconds, rate })
  for (const [i, m] of measured.entries()) {
    const r = results[i]!
    const used = (threadCpuSeconds(m.server.pid) ?? Number.NaN) - before[i]!
    m.rounds.push({ rps: r.completed / seconds, p50: r.p50, cpuUs: (used / r.completed) * 1e6 })
  }
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`

/** The median of per-round ratios against the baseline's same round, its 95 % interval and spread. */
function overhead(ratios: number[]): Record<string, string> {
  const sorted = [...ratios].sort((a, b) => a - b)
  const interval = medianInterval(sorted)
  return {
    median: pct(medianOf(sorted)),
    '95% interval': interval ? `${pct(interval[0])}..${pct(interval[1])}` : '(too few rounds)',
    'rounds (min..max)': `${pct(sorted[0]!)}..${pct(sorted.at(-1)!)}`,
  }
}

function report(measured: Measured[], seconds: number, rate: number): void {
  for (const node of new Set(measured.map((m) => m.node))) {
    const cases = measured.filter((m) => m.node === node)
    const base = cases[0]!
    console.log(`\nmeter overhead on the legacy list route, ${node}: ${base.rounds.length} rounds x ${seconds} s per server at ${rate} req/s in 50 ms turns (target <= 3%)`)
    console.table(cases.map((m, i) => {
      const row: Record<string, string | number> = {
        case: m.name,
        'req/s': Math.round(medianOf(m.rounds.map((r) => r.rps))),
        'p50 ms': Number(medianOf(m.rounds.map((r) => r.p50)).toFixed(3)),
        'CPU us/request': Math.round(medianOf(m.rounds.map((r) => r.cpuUs))),
      }
      if (i === 0) return row
      const cpu = overhead(m.rounds.map((r, k) => r.cpuUs / base.rounds[k]!.cpuUs - 1))
      return { ...row, 'CPU/request vs no meter': cpu.median!, '95% interval': cpu['95% interval']!, 'rounds (min..max)': cpu['rounds (min..max)']! }
    }))
  }
}

/** The node binaries to run the servers with: `BENCH_NODES` (comma-separated paths), else this one. */
function nodeBinaries(): Array<{ label: string; path: string }> {
  const paths = (process.env.BENCH_NODES ?? process.execPath).split(',').map((p) => p.trim()).filter(Boolean)
  return paths.map((path) => ({ path, label: `Node ${execFileSync(path, ['--version'], { encoding: 'utf8' }).trim().slice(1)}` }))
}

/**
 * The legacy demo's list route (one GET and a 100-GET pipeline on the object
 * cache and 100 refresh jobs enqueued per request; worker off) bare, with
 * only the meter's AsyncLocalStorage request context, and fully metered
 * (plugin, metered pool, Redis client and queue, a flush every second), on
 * each Node binary in `BENCH_NODES` (comma-separated; default this one).
 * Every server runs at once, pinned to CPU 0, this client on CPU 1; each round
 * sends `BENCH_RATE` req/s to one server after the other in 50 ms turns for
 * `BENCH_SECONDS` per server, so what else the machine does falls on all of
 * them alike. The cost is server CPU time per request (every thread of the
 * process, from /proc at nanosecond resolution; time spent waiting for a
 * core is not in it): for a CPU-bound server, throughput lost is that share.
 * Figures are medians over rounds of each round's ratio to the unmetered
 * server on the same Node in the same round, with a 95 % interval for that
 * median and the spread of the rounds.
 */
export async function run(
  seconds = Number(process.env.BENCH_SECONDS ?? 3),
  rounds = Number(process.env.BENCH_ROUNDS ?? 9),
  rate = Number(process.env.BENCH_RATE ?? 300),
): Promise<void> {
  const database = `cutover_bench_meter_${process.pid}`
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE \`${database}\``)
  const redis = new Redis(REDIS_URL)
  const prefix = `cutover-bench-meter-${process.pid}`
  const measured: Measured[] = []
  try {
    const pool = mysql.createPool({ uri: databaseUrl(MYSQL_URL, database) })
    await seedDemoData(pool)
    await pool.end()
    const env = { MYSQL_URL: databaseUrl(MYSQL_URL, database), REDIS_URL, PREFIX: prefix }
    const pinned = pinToCpu(process.pid, 1)
    for (const node of nodeBinaries()) {
      for (const [name, mode] of CASES) {
        const s = await startServer(server, [mode], { ...env, METER_PREFIX: `${prefix}-${measured.length}` }, { execPath: node.path, cpu: pinned ? 0 : null })
        measured.push({ node: node.label, name, server: s, rounds: [] })
      }
    }
    // Warm every server (JIT, the object cache, connections), then forget it.
    await measureRound(measured, 2, rate)
    for (const m of measured) m.rounds.length = 0
    for (let round = 0; round < rounds; round++) await measureRound(measured, seconds, rate)
    report(measured, seconds, rate)
  } finally {
    for (const m of measured) await m.server.stop()
    await deleteKeys(redis, `${prefix}*`)
    redis.disconnect()
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
