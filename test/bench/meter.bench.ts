// The meter's overhead on the legacy list route (target <= 3 % of throughput),
// as server CPU time per request and req/s, on one or more Node binaries in one run.
import { execFile, execFileSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
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
  /** Server CPU microseconds per request, less what the server uses idle over the round. */
  cpuUs: number
}

interface Measured {
  node: string
  name: string
  server: BenchServer
  /** CPU seconds per second the server uses with no requests (its timers: the meter's flush, the queue-depth sampler). */
  idle: number
  rounds: Round[]
}

const cpuOf = (m: Measured): number => threadCpuSeconds(m.server.pid) ?? Number.NaN

/**
 * Each server's CPU use per second with no load: the median of `seconds`
 * one-second readings, so a one-off burst (a late GC or compile) in one of
 * them does not count as the server's steady idle cost.
 */
async function measureIdle(measured: Measured[], seconds: number): Promise<void> {
  const readings: number[][] = measured.map(() => [])
  for (let s = 0; s < seconds; s++) {
    const before = measured.map(cpuOf)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    for (const [i, m] of measured.entries()) readings[i]!.push(cpuOf(m) - before[i]!)
  }
  for (const [i, m] of measured.entries()) m.idle = medianOf(readings[i]!)
}

/**
 * One round: every server loaded at `rate` in 50 ms turns for `seconds` each,
 * with the CPU time each one's threads used over the round. What a server
 * uses idle (per second, not per request) is taken out: each server is
 * loaded for only a share of the round, so its timers would otherwise weigh
 * on its few requests many times more than at a steady rate.
 */
async function measureRound(measured: Measured[], seconds: number, rate: number): Promise<void> {
  const before = measured.map(cpuOf)
  const start = performance.now()
  const results = await slicedLoad({ urls: measured.map((m) => m.server.url + PATH), seconds, rate })
  const wall = (performance.now() - start) / 1000
  for (const [i, m] of measured.entries()) {
    const r = results[i]!
    const used = cpuOf(m) - before[i]! - m.idle * wall
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
        'idle CPU ms/s': Number((m.idle * 1000).toFixed(2)),
      }
      if (i === 0) return row
      const cpu = overhead(m.rounds.map((r, k) => r.cpuUs / base.rounds[k]!.cpuUs - 1))
      return { ...row, 'CPU/request vs no meter': cpu.median!, '95% interval': cpu['95% interval']!, 'rounds (min..max)': cpu['rounds (min..max)']! }
    }))
  }
}

/**
 * meter-calls.ts with `node`, pinned to CPU 0: the route's Redis work alone,
 * bare / in a context / metered, to the microsecond; printed as the medians
 * of per-round ratios like the route's figures.
 */
async function measureCalls(node: { label: string; path: string }, env: NodeJS.ProcessEnv, rounds: number): Promise<void> {
  const script = new URL('./meter-calls.ts', import.meta.url).pathname
  const { stdout } = await promisify(execFile)('taskset', ['-c', '0', node.path, '--import', 'tsx', script], { env: { ...process.env, ...env, ROUNDS: String(rounds) } })
  const perRound = JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number[]>
  const [baseName, ...others] = Object.keys(perRound)
  const base = perRound[baseName!]!
  console.log(`\nthe same route's Redis work alone (a GET, a 100-GET pipeline, 100 jobs enqueued), in one process, ${node.label}: ${rounds} rounds of 1200 requests`)
  console.table([
    { case: baseName!, 'CPU us/request': Number(medianOf(base).toFixed(1)) },
    ...others.map((name) => {
      const cpu = overhead(perRound[name]!.map((us, k) => us / base[k]! - 1))
      return { case: name, 'CPU us/request': Number(medianOf(perRound[name]!).toFixed(1)), 'CPU/request vs no meter': cpu.median!, '95% interval': cpu['95% interval']!, 'rounds (min..max)': cpu['rounds (min..max)']! }
    }),
  ])
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
 * core is not in it), less the CPU it uses idle (timers, shown apart per
 * second): for a CPU-bound server, throughput lost is that share.
 * Figures are medians over rounds of each round's ratio to the unmetered
 * server on the same Node in the same round, with a 95 % interval for that
 * median and the spread of the rounds. Then, per Node binary, the same
 * route's Redis work alone in one process (meter-calls.ts): the wrappers'
 * and counters' cost without HTTP and Fastify around it.
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
        measured.push({ node: node.label, name, server: s, idle: 0, rounds: [] })
      }
    }
    // Warm every server (JIT, the object cache, connections), then forget it.
    await measureRound(measured, 2, rate)
    for (const m of measured) m.rounds.length = 0
    await measureIdle(measured, 7)
    for (let round = 0; round < rounds; round++) await measureRound(measured, seconds, rate)
    report(measured, seconds, rate)
    for (const m of measured) await m.server.stop()
    measured.length = 0
    for (const node of nodeBinaries()) await measureCalls(node, { REDIS_URL, PREFIX: `${prefix}-calls` }, rounds)
  } finally {
    for (const m of measured) await m.server.stop()
    await deleteKeys(redis, `${prefix}*`)
    redis.disconnect()
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
