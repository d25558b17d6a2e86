import mysql from 'mysql2/promise'
import { migrate } from '../../src/db/migrate.js'
import { pinToCpu, printRows, startServer, type BenchServer, type Row } from './harness.js'
import { steadyLoad, type SteadyResult } from './steady-load.js'

const server = new URL('./shadow-server.ts', import.meta.url)
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

const CASES = [
  ['off', ['off']],
  // A second server in mode off: how far two identical servers land apart in this run (the noise floor).
  ['off, again', ['off']],
  ['shadow 10%, all match', ['shadow', '0.1', 'same']],
  ['shadow 10%, all differ', ['shadow', '0.1', 'differs']],
] as const

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

/**
 * Served-path cost of shadowing 10 % of requests, against mode off in the
 * same run (target: p50 at most 5 % above off), at a fixed request rate
 * (BENCH_RATE, default 1000/s) from an open-loop client timing each request
 * to the microsecond. All four servers run at once, each in its own
 * process pinned to CPU 0 (the client on CPU 1), and are loaded in turn over
 * BENCH_ROUNDS interleaved rounds of BENCH_SECONDS each, so drift on a shared
 * machine hits all of them; each figure is the median over rounds, and the
 * cost is the median of each round's p50 against mode off's in that round.
 * A second mode-off server shows the noise floor. Two shadow cases: every sample matches, and every sample
 * differs (the body carries a render time; until that path is learned as
 * noise, each one also renders the legacy path a second time).
 */
export async function run(
  seconds = Number(process.env.BENCH_SECONDS ?? 3),
  rate = Number(process.env.BENCH_RATE ?? 1000),
  rounds = Number(process.env.BENCH_ROUNDS ?? 9),
): Promise<Row[]> {
  const database = `cutover_bench_shadow_${process.pid}`
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE \`${database}\``)
  const url = new URL(MYSQL_URL)
  url.pathname = `/${database}`
  const servers: BenchServer[] = []
  try {
    await migrate({ url: url.toString() })
    // Servers on CPU 0, this load generator on CPU 1, in every round alike.
    const pinned = pinToCpu(process.pid, 1)
    for (const [, args] of CASES) servers.push(await startServer(server, [...args], { MYSQL_URL: url.toString() }, pinned ? 0 : undefined))
    // Warm every server (JIT, connections, the cached page) before measuring.
    for (const s of servers) await steadyLoad({ url: s.url + '/page', seconds: 2, rate })
    const results: SteadyResult[][] = CASES.map(() => [])
    for (let round = 0; round < rounds; round++) {
      for (const [i, s] of servers.entries()) results[i]!.push(await steadyLoad({ url: s.url + '/page', seconds, rate }))
    }
    const rows: Row[] = CASES.map(([name], i) => {
      const rs = results[i]!
      return {
        name,
        result: {
          rps: medianOf(rs.map((r) => r.completed / seconds)),
          p50: Number(medianOf(rs.map((r) => r.p50)).toFixed(3)),
          p99: Number(medianOf(rs.map((r) => r.p99)).toFixed(3)),
          non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
          errors: rs.reduce((a, r) => a + r.errors, 0),
        },
        ...(i === 0 ? {} : { baseline: 'off' }),
        extra: { 'p90 ms': Number(medianOf(rs.map((r) => r.p90)).toFixed(3)) },
      }
    })
    // Each round's p50 against mode off's in the same round, then the median of those ratios: drift
    // between rounds cancels out; the spread says how much one round can be trusted.
    for (const [i, row] of rows.entries()) {
      if (i === 0) continue
      const ratios = results[i]!.map((r, round) => r.p50 / results[0]![round]!.p50 - 1).sort((a, b) => a - b)
      const pct = (x: number): string => `${(x * 100).toFixed(1)}%`
      row.extra = { ...row.extra, 'p50 vs off': pct(medianOf(ratios)), 'rounds (min..max)': `${pct(ratios[0]!)}..${pct(ratios.at(-1)!)}` }
    }
    printRows(`Shadow: served path at ${rate} req/s with 10% of requests shadowed vs mode off, ${rounds} rounds x ${seconds} s (target: p50 <= +5%)`, rows)
    return rows
  } finally {
    for (const s of servers) await s.stop()
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
  }
}
