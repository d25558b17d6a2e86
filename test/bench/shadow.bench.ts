import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { migrate } from '../../src/db/migrate.js'
import { seedDemoData } from '../../src/demo/schema.js'
import { databaseUrl, deleteKeys } from '../../src/demo/services.js'
import { pinToCpu, printRows, startServer, type BenchServer, type Row } from './harness.js'
import { slicedLoad, type SteadyResult } from './steady-load.js'
import { medianInterval } from './stats.js'

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`

interface Suite {
  title: string
  script: URL
  /** Case name and the server's arguments; the first is the baseline (mode off). */
  cases: ReadonlyArray<readonly [string, readonly string[]]>
  env: NodeJS.ProcessEnv
  path: string
  rate: number
}

/**
 * Starts every case's server at once (each in its own process pinned to CPU
 * 0, this load generator on CPU 1), warms them, then loads them over rounds,
 * each round sending to every server in turn in 50 ms slices, so whatever
 * else the machine does falls on all of them alike. Each figure is the median
 * over rounds; the cost is the median of each round's p50 against the
 * baseline's in that round, with a 95 % interval for that median (from the
 * ranks of the ratios, no assumption on their distribution) and their spread.
 */
async function compare(suite: Suite, seconds: number, rounds: number): Promise<Row[]> {
  const servers: BenchServer[] = []
  try {
    const pinned = pinToCpu(process.pid, 1)
    for (const [, args] of suite.cases) servers.push(await startServer(suite.script, [...args], suite.env, { cpu: pinned ? 0 : null }))
    const urls = servers.map((s) => s.url + suite.path)
    await slicedLoad({ urls, seconds: 2, rate: suite.rate })
    const results: SteadyResult[][] = suite.cases.map(() => [])
    for (let round = 0; round < rounds; round++) {
      for (const [i, r] of (await slicedLoad({ urls, seconds, rate: suite.rate })).entries()) results[i]!.push(r)
    }
    const rows: Row[] = suite.cases.map(([name], i) => {
      const rs = results[i]!
      const row: Row = {
        name,
        result: {
          rps: medianOf(rs.map((r) => r.completed / seconds)),
          p50: Number(medianOf(rs.map((r) => r.p50)).toFixed(3)),
          p99: Number(medianOf(rs.map((r) => r.p99)).toFixed(3)),
          non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
          errors: rs.reduce((a, r) => a + r.errors, 0),
        },
        extra: { 'p90 ms': Number(medianOf(rs.map((r) => r.p90)).toFixed(3)) },
      }
      if (i > 0) {
        const ratios = rs.map((r, round) => r.p50 / results[0]![round]!.p50 - 1).sort((a, b) => a - b)
        row.baseline = suite.cases[0]![0]
        const interval = medianInterval(ratios)
        row.extra = {
          ...row.extra,
          'p50 vs off': pct(medianOf(ratios)),
          '95% interval': interval ? `${pct(interval[0])}..${pct(interval[1])}` : '(too few rounds)',
          'rounds (min..max)': `${pct(ratios[0]!)}..${pct(ratios.at(-1)!)}`,
        }
      }
      return row
    })
    printRows(`${suite.title} at ${suite.rate} req/s, ${rounds} rounds x ${seconds} s (target: p50 <= +5%)`, rows)
    return rows
  } finally {
    for (const s of servers) await s.stop()
  }
}

/**
 * Served-path cost of shadowing 10 % of requests against mode off in the same
 * run (target: p50 at most 5 % above off), from an open-loop client at a fixed
 * rate timing each request to the microsecond. Mode off is the same app with
 * the shadow engine registered, only the route's flag differs; a second
 * mode-off server shows the noise floor. `BENCH_SHADOW_SUITE=trivial|demo`
 * runs one suite.
 *
 * 1. A trivial route (a constant 64-item JSON body, ~0.2 ms p50): the
 *    relative worst case, where a shadow's fresh render costs as much as the
 *    request. Beside the two shadow cases (every sample matches; every sample
 *    differs, the body carrying its render time, so until that path is
 *    learned as noise each one also renders the legacy path a second time):
 *    the app without the shadow engine, a no-op shadow handler (the plugin's
 *    own share), and the differing case rendering through `app.inject`
 *    instead of the app's own socket.
 * 2. The legacy demo's list route (`products.list`, 100 object-cache reads a
 *    request; worker off so its CPU doesn't blur the figure), with the page
 *    handler rendered fresh for the candidate.
 * Both write samples to MySQL on the same machine.
 */
export async function run(
  seconds = Number(process.env.BENCH_SECONDS ?? 3),
  rounds = Number(process.env.BENCH_ROUNDS ?? 9),
): Promise<Row[]> {
  const database = `cutover_bench_shadow_${process.pid}`
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE \`${database}\``)
  const redis = new Redis(REDIS_URL)
  const prefix = `cutover-bench-shadow-${process.pid}`
  const url = databaseUrl(MYSQL_URL, database)
  try {
    await migrate({ url })
    const only = process.env.BENCH_SHADOW_SUITE
    const trivial = only === 'demo' ? [] : await compare({
      title: 'Shadow, trivial route: served path with 10% of requests shadowed vs mode off',
      script: new URL('./shadow-server.ts', import.meta.url),
      cases: [
        ['off', ['off-engine']],
        ['off, again', ['off-engine']],
        ['off, no shadow engine registered', ['off']],
        ['shadow 10%, no-op handler', ['noop', '0.1', 'same']],
        ['shadow 10%, all match', ['shadow', '0.1', 'same']],
        ['shadow 10%, all differ', ['shadow', '0.1', 'differs']],
        ['shadow 10%, all differ, renders via app.inject', ['shadow', '0.1', 'differs', 'inject']],
        ['shadow 10%, all differ, no CPU budget', ['shadow', '0.1', 'differs', 'loopback', 'unbudgeted']],
        // BENCH_SHADOW_SHARES=0.02,0.01: the all-match and all-differ cases again under those budgets.
        ...(process.env.BENCH_SHADOW_SHARES ?? '').split(',').filter((share) => share !== '').flatMap((share): Array<[string, string[]]> => [
          [`shadow 10%, all match, maxLoopShare ${share}`, ['shadow', '0.1', 'same', 'loopback', share]],
          [`shadow 10%, all differ, maxLoopShare ${share}`, ['shadow', '0.1', 'differs', 'loopback', share]],
        ]),
      ],
      env: { MYSQL_URL: url },
      path: '/page',
      rate: Number(process.env.BENCH_RATE ?? 1000),
    }, seconds, rounds)
    const pool = mysql.createPool({ uri: url })
    await seedDemoData(pool)
    await pool.end()
    const demo = only === 'trivial' ? [] : await compare({
      title: 'Shadow, the legacy demo list route: 10% of products.list shadowed vs mode off',
      script: new URL('./legacy-server.ts', import.meta.url),
      cases: [['off', ['shadow-off']], ['off, again', ['shadow-off']], ['shadow 10%', ['shadow-10']]],
      env: { MYSQL_URL: url, REDIS_URL, PREFIX: prefix, METER_PREFIX: `${prefix}-meter` },
      path: '/api/products?page=1&sort=id',
      rate: Number(process.env.BENCH_DEMO_RATE ?? 200),
    }, seconds, rounds)
    return [...trivial, ...demo]
  } finally {
    await deleteKeys(redis, `${prefix}*`)
    redis.disconnect()
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
  }
}
