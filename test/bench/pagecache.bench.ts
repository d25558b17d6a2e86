import { load, loadGenerator, printRows, startServer, type BenchServer, type LoadResult, type Row } from './harness.js'
import { medianInterval, mediansOf } from './stats.js'
import { cpuSeconds } from './cpu-time.js'
import { findVarnishd, startVarnish } from './varnish.js'

const server = new URL('./page-server.ts', import.meta.url)
const BROWSER = { 'accept-encoding': 'br, gzip' }

interface Case {
  name: string
  /** page-server.ts mode. */
  mode: string
  headers?: Record<string, string>
  /** Served through Varnish in front of the mode's server. */
  varnish?: boolean
  /** A new path per request. */
  miss?: boolean
}

const CASES: readonly Case[] = [
  { name: 'constant body (ceiling)', mode: 'constant' },
  { name: 'serializing route', mode: 'serializing' },
  { name: 'constant body with a hit\'s four headers', mode: 'constant-hit-headers' },
  { name: 'varnish hit, default config', mode: 'serializing', varnish: true },
  { name: 'memory hit', mode: 'memory-hit' },
  { name: 'redis hit', mode: 'redis-hit' },
  { name: 'redis hit, accept-encoding br', mode: 'redis-hit', headers: BROWSER },
  { name: 'redis hit, client with enableAutoPipelining', mode: 'redis-hit-autopipelined' },
  { name: 'redis hit, client with enableAutoPipelining, accept-encoding br', mode: 'redis-hit-autopipelined', headers: BROWSER },
  { name: 'tiered hit (memory layer)', mode: 'tiered-hit' },
  { name: 'tiered hit, accept-encoding br', mode: 'tiered-hit', headers: BROWSER },
  { name: 'miss (new key each request)', mode: 'miss', miss: true },
]

/** The case indexes 0..n-1 in the order round `round` takes them: a Fisher-Yates shuffle on a small seeded generator (mulberry32). */
export function roundOrder(n: number, round: number): number[] {
  let seed = (0x9e3779b9 * (round + 1)) >>> 0
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0
    let t = seed
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const order = Array.from({ length: n }, (_, i) => i)
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[order[i], order[j]] = [order[j]!, order[i]!]
  }
  return order
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const x = (n: number): string => `${n.toFixed(2)}x`

/**
 * Page-cache throughput against a Fastify route returning a pre-serialized
 * constant body (the ceiling of the in-process hit path), the same route
 * serializing its object per request, the constant route with the four
 * headers a hit adds, and Varnish in front of the serializing route
 * (when varnishd is installed). Every server runs at once, each in its own
 * process on CPU 0 (idle unless loaded); wrk runs on CPU 1. Rounds
 * interleave the cases, so a noisy moment hits every case alike; each
 * figure is the median over rounds of the case's req/s divided by the
 * constant route's in the same round, with a 95 % interval for that median.
 */
export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 3), rounds = Number(process.env.BENCH_ROUNDS ?? 7)): Promise<Row[]> {
  const generator = loadGenerator()
  const varnishd = findVarnishd()
  // BENCH_CASES=memory,redis runs the baselines and the cases whose names hold one of the words.
  const only = process.env.BENCH_CASES?.split(',')
  const cases = CASES.filter((c, n) => (!c.varnish || varnishd !== undefined) && (!only || n < 3 || only.some((w) => c.name.includes(w))))
  if (!varnishd) console.log('varnishd not found: the Varnish baseline is left out (Debian: apt-get install varnish)')
  const started: BenchServer[] = []
  const byMode = new Map<string, BenchServer>()
  const urls: string[] = []
  const pids: number[] = []
  let i = 0
  const run1 = (c: Case, n: number, s: number): Promise<LoadResult> =>
    load({ url: urls[n]!, path: '/page', seconds: s, ...(c.headers ? { headers: c.headers } : {}), ...(c.miss ? { nextPath: () => `/page?i=${i++}` } : {}) })
  /** A round of one case, with the server's CPU time per request (µs). */
  const measured = async (c: Case, n: number, s: number): Promise<LoadResult & { cpuUs: number }> => {
    const before = cpuSeconds(pids[n]!)
    const result = await run1(c, n, s)
    const after = cpuSeconds(pids[n]!)
    const cpuUs = before === undefined || after === undefined ? NaN : ((after - before) * 1e6) / (result.requests ?? result.rps * s)
    return { ...result, cpuUs }
  }
  try {
    for (const c of cases) {
      let s = byMode.get(c.mode)
      if (!s) {
        s = await startServer(server, [c.mode])
        byMode.set(c.mode, s)
        started.push(s)
      }
      if (c.varnish) {
        const v = await startVarnish(varnishd!, s.url)
        started.push(v)
        urls.push(v.url)
        pids.push(v.pid)
      } else {
        urls.push(s.url)
        pids.push(s.pid)
      }
    }
    for (const [n, c] of cases.entries()) await run1(c, n, 1)
    const results: Array<Array<LoadResult & { cpuUs: number }>> = cases.map(() => [])
    // Each round takes the cases in an order of its own (shuffled, seeded by the round so runs
    // repeat): whatever a case's run leaves behind (Varnish's threads, a miss run's stored pages)
    // falls on a different case each round, not always on the one after it.
    for (let round = 0; round < rounds; round++) {
      for (const n of roundOrder(cases.length, round)) results[n]!.push(await measured(cases[n]!, n, seconds))
    }
    const rows: Row[] = cases.map((c, n) => {
      const rs = results[n]!
      const result: LoadResult = mediansOf(rs)
      const cpu = { 'CPU µs/req': Math.round(medianOf(rs.map((r) => r.cpuUs))) }
      if (n === 0) return { name: c.name, result, extra: cpu }
      const ratios = rs.map((r, round) => r.rps / results[0]![round]!.rps).sort((a, b) => a - b)
      const cpuRatios = rs.map((r, round) => results[0]![round]!.cpuUs / r.cpuUs).sort((a, b) => a - b)
      const interval = medianInterval(ratios)
      const cpuInterval = medianInterval(cpuRatios)
      const span = (iv: [number, number] | undefined): string => (iv ? `${x(iv[0])}..${x(iv[1])}` : '(too few rounds)')
      return {
        name: c.name,
        result,
        baseline: cases[0]!.name,
        extra: {
          'req/s ratio': x(medianOf(ratios)),
          'req/s 95% interval': span(interval),
          ...cpu,
          'CPU ratio': x(medianOf(cpuRatios)),
          'CPU 95% interval': span(cpuInterval),
        },
      }
    })
    printRows(
      `Page cache: 10 KB JSON body, ${rounds} interleaved rounds of ${seconds}s, load by ${generator}. ` +
        'Ratios: median over rounds of req/s against the constant-body route in the same round, and of the constant route\'s server CPU time ' +
        'per request against the case\'s (the throughput ratio on a dedicated core; holds up on a busy machine). Targets: memory hit >= 0.9x, redis hit >= 0.5x',
      rows,
    )
    return rows
  } finally {
    for (const s of started.reverse()) await s.stop()
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run()
