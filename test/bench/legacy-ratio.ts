// Legacy list route vs the same route on the page cache, measured as the
// page-cache suite measures: every server at once, each in its own process
// pinned to CPU 0, the load generator on CPU 1, rounds interleaving the
// cases, and each figure the median over rounds of a ratio taken within one
// round, with its spread. Beside the meter's DB calls per request, MariaDB's
// own Com_select counter.
import type { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { deleteKeys } from '../../src/demo/services.js'
import { readMeter } from '../../src/meter/read.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { summarize } from '../../src/report/amplification.js'
import { cpuSeconds } from './cpu-time.js'
import { load, loadGenerator, printRows, startServer, type BenchServer, type LoadResult, type Row } from './harness.js'
import { listPaths } from './list-paths.js'
import { medianInterval, mediansOf } from './stats.js'

const server = new URL('./legacy-server.ts', import.meta.url)
const BROWSER = { 'accept-encoding': 'br, gzip' }
const CONNECTIONS = 16

interface Case {
  name: string
  /** legacy-server.ts mode. */
  mode: string
  headers?: Record<string, string>
}

/** The constant route first (the ceiling), the legacy route second (what the target is a ratio to). */
const CASES: readonly Case[] = [
  { name: 'constant list page (ceiling)', mode: 'constant' },
  { name: 'legacy list route', mode: 'legacy' },
  { name: 'legacy list route, no meter', mode: 'legacy-unmetered' },
  { name: 'mode off (legacy path via cutover)', mode: 'mode-off' },
  { name: 'page cache', mode: 'pagecache' },
  { name: 'page cache, accept-encoding br', mode: 'pagecache', headers: BROWSER },
]
/** Modes with a refresh worker: a round ends when their queue is empty again. */
const WITH_WORKER = new Set(['legacy', 'legacy-unmetered', 'mode-off'])
/** Modes with the meter on. */
const METERED = new Set(['legacy', 'mode-off', 'pagecache'])

interface Round extends LoadResult {
  requests: number
  seconds: number
  cpuUs: number
  selects: number
  drainSeconds: number
}

export interface LegacyRatioOptions {
  redis: Redis
  mysqlUrl: string
  /** URL of the seeded demo database the servers use. */
  databaseUrl: string
  redisUrl: string
  /** Key prefix; each server works under `<prefix>-<mode>`. */
  prefix: string
  seconds: number
  rounds: number
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const x = (n: number): string => `${n.toFixed(2)}x`
const spanOf = (xs: number[], f: (n: number) => string): string => {
  const sorted = [...xs].sort((a, b) => a - b)
  const interval = medianInterval(sorted)
  return `${interval ? `[${f(interval[0])}..${f(interval[1])}]` : '[too few rounds]'} (${f(sorted[0]!)}..${f(sorted.at(-1)!)})`
}

/** Waits until the refresh queue under `prefix` is empty (the worker caught up); seconds waited. */
async function drained(queue: ListRefreshQueue, limitMs = 120_000): Promise<number> {
  const from = Date.now()
  while ((await queue.depth()) > 0 && Date.now() - from < limitMs) await new Promise((resolve) => setTimeout(resolve, 50))
  return (Date.now() - from) / 1000
}

export async function runLegacyRatio(options: LegacyRatioOptions): Promise<Row[]> {
  const { redis, seconds, rounds } = options
  const generator = loadGenerator()
  const admin = await mysql.createConnection({ uri: options.mysqlUrl })
  const comSelect = async (): Promise<number> => {
    const [rows] = await admin.query<mysql.RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Com_select'")
    return Number(rows[0]?.Value)
  }
  const servers = new Map<string, { server: BenchServer; queue: ListRefreshQueue }>()
  const prefixOf = (mode: string): string => `${options.prefix}-${mode}`
  try {
    for (const c of CASES) {
      if (servers.has(c.mode)) continue
      const env = { MYSQL_URL: options.databaseUrl, REDIS_URL: options.redisUrl, PREFIX: prefixOf(c.mode), METER_PREFIX: `${prefixOf(c.mode)}-meter` }
      const started = await startServer(server, [c.mode], env)
      servers.set(c.mode, { server: started, queue: new ListRefreshQueue({ redis, prefix: prefixOf(c.mode) }) })
    }
    const one = async (c: Case, s: number): Promise<Round> => {
      const { server: srv, queue } = servers.get(c.mode)!
      // The drains leave a server without a worker idle for a minute or more between its rounds: its
      // pages go stale (ttl 30 s) and leave the memory layer (5 s). One untimed second first, so the round
      // measures the steady state traffic keeps, not a refresh of every page at once. (The legacy app's
      // object keys live an hour; re-reading its expired query keys is a few hundred SELECTs a round, beside
      // its hundred per request.)
      if (!WITH_WORKER.has(c.mode)) await load({ url: srv.url, seconds: 1, connections: CONNECTIONS, nextPath: listPaths(), ...(c.headers ? { headers: c.headers } : {}) })
      const [cpu0, sel0] = [cpuSeconds(srv.pid), await comSelect()]
      const result = await load({ url: srv.url, seconds: s, connections: CONNECTIONS, nextPath: listPaths(), ...(c.headers ? { headers: c.headers } : {}) })
      // The worker's jobs for this round's requests are this round's cost: wait for them.
      const drainSeconds = WITH_WORKER.has(c.mode) ? await drained(queue) : 0
      const [cpu1, sel1] = [cpuSeconds(srv.pid), await comSelect()]
      const requests = result.requests ?? Math.round(result.rps * s)
      const cpuUs = cpu0 === undefined || cpu1 === undefined ? NaN : ((cpu1 - cpu0) * 1e6) / requests
      return { ...result, requests, seconds: s, cpuUs, selects: sel1 - sel0, drainSeconds }
    }
    // Warm every server (object cache, page cache, JIT), let the meters flush it, then forget it.
    for (const c of CASES) await one(c, 3)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    for (const mode of METERED) await deleteKeys(redis, `${prefixOf(mode)}-meter:v1:*`)
    const from = Date.now()
    const results: Round[][] = CASES.map(() => [])
    for (let round = 0; round < rounds; round++) {
      for (const [n, c] of CASES.entries()) results[n]!.push(await one(c, seconds))
    }
    await new Promise((resolve) => setTimeout(resolve, 1500))
    const to = Date.now()
    const meterDbCalls = new Map<string, number | null | undefined>()
    for (const mode of METERED) {
      const reading = await readMeter({ redis, prefix: `${prefixOf(mode)}-meter`, from, to })
      meterDbCalls.set(mode, summarize(reading, { label: mode, durationSeconds: (to - from) / 1000 }).routes.find((r) => r.route === 'products.list')?.dbCallsPerRequest)
    }
    // Other work on the machine's MariaDB: the constant route's rounds make no query.
    const constantRounds = results[0]!
    const background = constantRounds.reduce((a, r) => a + r.selects, 0) / (constantRounds.length * seconds)
    const rows = CASES.map((c, n) => toRow(c, results[n]!, results, meterDbCalls.get(c.mode)))
    printRows(
      `Legacy list route vs page cache: GET /api/products?page=N&sort=id (skewed pages), ${rounds} interleaved rounds of ${seconds} s, ` +
        `${CONNECTIONS} connections, load by ${generator}. A round of a case with a refresh worker lasts until its queue is empty again ` +
        '(drain s; its CPU time, Com_select and req/s incl. drain include the drain). Ratios: median over rounds of req/s against the legacy list route in the same round ' +
        `[95 % interval] (min..max). Com_select: MariaDB's global counter over the round / requests; other work ran ${background.toFixed(1)} selects/s meanwhile (measured over the constant route's rounds). ` +
        'Targets: page cache >= 20x the legacy list route, <= 0.05 DB calls/request',
      rows,
    )
    return rows
  } finally {
    await admin.end()
    for (const { server: s, queue } of servers.values()) {
      await s.stop()
      await queue.close()
    }
    for (const mode of servers.keys()) await deleteKeys(redis, `${prefixOf(mode)}*`)
  }
}

function toRow(c: Case, rs: Round[], all: Round[][], meterDbCalls: number | null | undefined): Row {
  const [constant, legacy] = [all[0]!, all[1]!]
  const result: LoadResult = mediansOf(rs)
  const vsLegacy = rs.map((r, i) => r.rps / legacy[i]!.rps)
  const vsConstant = rs.map((r, i) => r.rps / constant[i]!.rps)
  const cpuVsLegacy = rs.map((r, i) => legacy[i]!.cpuUs / r.cpuUs)
  const fmt = (n: number): string => (n < 10 ? n.toFixed(3) : n.toFixed(1))
  return {
    name: c.name,
    result,
    ...(c.mode === 'legacy' ? {} : { baseline: 'legacy list route' }),
    extra: {
      'vs legacy': c.mode === 'legacy' ? '1.00x' : `${x(medianOf(vsLegacy))} ${spanOf(vsLegacy, x)}`,
      'vs constant': c.mode === 'constant' ? '1.00x' : `${x(medianOf(vsConstant))} ${spanOf(vsConstant, x)}`,
      'CPU µs/req': Math.round(medianOf(rs.map((r) => r.cpuUs))),
      'CPU vs legacy': c.mode === 'legacy' ? '1.00x' : x(medianOf(cpuVsLegacy)),
      'drain s': medianOf(rs.map((r) => r.drainSeconds)).toFixed(1),
      // What the app sustains once its worker's share is counted: requests over the load and the drain after it.
      'req/s incl. drain': Math.round(medianOf(rs.map((r) => r.requests / (r.seconds + r.drainSeconds)))),
      'Com_select/req': fmt(rs.reduce((a, r) => a + r.selects, 0) / rs.reduce((a, r) => a + r.requests, 0)),
      'meter DB calls/req': meterDbCalls === undefined || meterDbCalls === null ? '-' : fmt(meterDbCalls),
    },
  }
}
