import autocannon from 'autocannon'
import mysql from 'mysql2/promise'
import { migrate } from '../../src/db/migrate.js'
import { printRows, startServer, type LoadResult, type Row } from './harness.js'

const server = new URL('./shadow-server.ts', import.meta.url)
const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

/** Load at a fixed request rate: latency then shows what shadows cost a request, not queueing at saturation. */
async function steady(url: string, seconds: number, rate: number): Promise<LoadResult> {
  const r = await autocannon({ url: url + '/page', duration: seconds, connections: 16, overallRate: rate })
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }
}

/**
 * Served-path cost of shadowing 10 % of requests, against mode off in the
 * same run (target: p50 at most 5 % above off), at a fixed request rate
 * (BENCH_RATE, default 1000/s). The two servers alternate twice so drift on
 * a shared machine hits both. Two shadow cases: every sample matches, and
 * every sample differs (the body carries a render time; until that path is
 * learned as noise each one also renders the legacy path a second time).
 */
export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 5), rate = Number(process.env.BENCH_RATE ?? 1000)): Promise<Row[]> {
  const database = `cutover_bench_shadow_${process.pid}`
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE \`${database}\``)
  const url = new URL(MYSQL_URL)
  url.pathname = `/${database}`
  const rows: Row[] = []
  try {
    await migrate({ url: url.toString() })
    const results: Record<string, Row['result'][]> = { off: [], 'shadow 10%, all match': [], 'shadow 10%, all differ': [] }
    for (let round = 0; round < 2; round++) {
      const cases = [['off', ['off']], ['shadow 10%, all match', ['shadow', '0.1', 'same']], ['shadow 10%, all differ', ['shadow', '0.1', 'differs']]] as const
      for (const [name, args] of cases) {
        const s = await startServer(server, [...args], { MYSQL_URL: url.toString() })
        try {
          await steady(s.url, 1, rate)
          results[name]!.push(await steady(s.url, seconds, rate))
        } finally {
          await s.stop()
        }
      }
    }
    for (const [name, rs] of Object.entries(results)) {
      const mean = (f: (r: Row['result']) => number): number => rs.reduce((a, r) => a + f(r), 0) / rs.length
      rows.push({
        name,
        result: { rps: mean((r) => r.rps), p50: mean((r) => r.p50), p99: mean((r) => r.p99), non2xx: mean((r) => r.non2xx), errors: mean((r) => r.errors) },
        ...(name === 'off' ? {} : { baseline: 'off' }),
      })
    }
    const off = rows[0]!.result.p50
    for (const row of rows.slice(1)) row.extra = { 'p50 vs off': `${((row.result.p50 / off - 1) * 100).toFixed(1)}%` }
    printRows(`Shadow: served path at ${rate} req/s with 10% of requests shadowed vs mode off (target: p50 <= +5%)`, rows)
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS \`${database}\``)
    await admin.end()
  }
  return rows
}
