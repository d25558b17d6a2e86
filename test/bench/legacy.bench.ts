// Legacy list route vs the same route on the page cache, in one run: req/s
// ratio and DB calls per request on both sides (targets >= 20x, <= 0.05; see
// legacy-ratio.ts), and the meter's overhead on the legacy list route (target
// <= 3%). BENCH_LEGACY_PARTS=ratio|meter runs one of the two.
import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { seedDemoData } from '../../src/demo/schema.js'
import { databaseUrl, deleteKeys } from '../../src/demo/services.js'
import { readMeter } from '../../src/meter/read.js'
import { summarize, type RouteFigures } from '../../src/report/amplification.js'
import { load, printRows, startServer, type LoadResult } from './harness.js'
import { runLegacyRatio } from './legacy-ratio.js'
import { listPaths } from './list-paths.js'

const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306'
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7)
const CONNECTIONS = 16
const server = new URL('./legacy-server.ts', import.meta.url)

interface Measured {
  result: LoadResult
  list: RouteFigures | undefined
}

async function measure(mode: string, env: Record<string, string>, redis: Redis, warmSeconds = 0): Promise<Measured> {
  const meterPrefix = `${env.PREFIX}-${mode}`
  await deleteKeys(redis, `${meterPrefix}:v1:*`)
  const s = await startServer(server, [mode], { ...env, METER_PREFIX: meterPrefix })
  let running = true
  try {
    if (warmSeconds > 0) await load({ url: s.url, seconds: warmSeconds, connections: CONNECTIONS, nextPath: listPaths() })
    // Let the server's meter flush the warm-up (every second), then forget it.
    await new Promise((resolve) => setTimeout(resolve, 1500))
    await deleteKeys(redis, `${meterPrefix}:v1:*`)
    const from = Date.now()
    const result = await load({ url: s.url, seconds: SECONDS, connections: CONNECTIONS, nextPath: listPaths() })
    running = false
    await s.stop()
    const reading = await readMeter({ redis, prefix: meterPrefix, from, to: Date.now() })
    const list = summarize(reading, { label: mode, durationSeconds: SECONDS }).routes.find((r) => r.route === 'products.list')
    return { result, list }
  } finally {
    if (running) await s.stop()
    await deleteKeys(redis, `${env.PREFIX}:v1:queue:*`)
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

export async function run(): Promise<void> {
  const database = 'cutover_bench_legacy'
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``)
  await admin.end()
  const pool = mysql.createPool({ uri: databaseUrl(MYSQL_URL, database) })
  await seedDemoData(pool)
  await pool.end()
  const redis = new Redis(REDIS_URL)
  const prefix = `cutover-bench-legacy-${process.pid}`
  const env = { MYSQL_URL: databaseUrl(MYSQL_URL, database), REDIS_URL, PREFIX: prefix }
  try {
    // 1. Legacy list route (worker running) vs page cache, interleaved rounds with the ceiling and mode off beside them.
    if (process.env.BENCH_LEGACY_PARTS !== 'meter') {
      await runLegacyRatio({ redis, mysqlUrl: MYSQL_URL, databaseUrl: env.MYSQL_URL, redisUrl: REDIS_URL, prefix, seconds: SECONDS, rounds: ROUNDS })
    }
    if (process.env.BENCH_LEGACY_PARTS === 'ratio') return

    // 2. Meter overhead on the legacy list route: the app alone (worker off, so
    // the worker's CPU use doesn't blur it), metered vs bare, alternated, median of 3.
    const bare: LoadResult[] = []
    const context: LoadResult[] = []
    const metered: LoadResult[] = []
    for (let round = 0; round < 3; round++) {
      bare.push((await measure('legacy-bare', env, redis, 1)).result)
      context.push((await measure('legacy-context', env, redis, 1)).result)
      metered.push((await measure('legacy-metered', env, redis, 1)).result)
    }
    const pick = (results: LoadResult[]): LoadResult => {
      const m = median(results.map((r) => r.rps))
      return results.find((r) => r.rps === m) as LoadResult
    }
    const bareRow = pick(bare)
    const meteredRow = pick(metered)
    const contextRow = pick(context)
    printRows(`meter overhead on the legacy list route (median of 3 alternating runs; target <= 3%)`, [
      { name: 'legacy list, no meter', result: bareRow, extra: { runs: bare.map((r) => Math.round(r.rps)).join(' / ') } },
      {
        name: 'legacy list, request context only', result: contextRow, baseline: 'legacy list, no meter',
        extra: { runs: context.map((r) => Math.round(r.rps)).join(' / '), overhead: `${((1 - contextRow.rps / bareRow.rps) * 100).toFixed(1)}%` },
      },
      {
        name: 'legacy list, metered', result: meteredRow, baseline: 'legacy list, no meter',
        extra: { runs: metered.map((r) => Math.round(r.rps)).join(' / '), overhead: `${((1 - meteredRow.rps / bareRow.rps) * 100).toFixed(1)}%` },
      },
    ])
  } finally {
    await deleteKeys(redis, `${prefix}*`)
    redis.disconnect()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
