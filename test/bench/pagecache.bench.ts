import { load, median, printRows, startServer, type LoadResult, type Row } from './harness.js'

const server = new URL('./page-server.ts', import.meta.url)
const MODES = ['ceiling', 'memory-hit', 'redis-hit', 'miss'] as const

/**
 * Page-cache throughput against the plain-Fastify ceiling. All servers run at
 * once (idle unless loaded) and the cases are interleaved over several rounds;
 * each figure is the median round, so a noisy moment hits every case alike.
 */
export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 4), rounds = Number(process.env.BENCH_ROUNDS ?? 3)): Promise<Row[]> {
  const servers = await Promise.all(MODES.map((mode) => startServer(server, [mode])))
  const results = new Map<string, LoadResult[]>(MODES.map((m) => [m, []]))
  let i = 0
  try {
    for (const [n, s] of servers.entries()) await load({ url: s.url, path: '/page', seconds: 1, ...(MODES[n] === 'miss' ? { nextPath: () => `/page?w=${i++}` } : {}) })
    for (let round = 0; round < rounds; round++) {
      for (const [n, s] of servers.entries()) {
        const mode = MODES[n]!
        results.get(mode)!.push(await load({ url: s.url, path: '/page', seconds, ...(mode === 'miss' ? { nextPath: () => `/page?i=${i++}` } : {}) }))
      }
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
  const rows: Row[] = MODES.map((mode) => ({ name: mode, result: median(results.get(mode)!), ...(mode === 'ceiling' ? {} : { baseline: 'ceiling' }) }))
  printRows(`Page cache: constant 10 KB JSON body, median of ${rounds} interleaved rounds of ${seconds}s (targets: memory-hit >= 0.9x, redis-hit >= 0.5x ceiling)`, rows)
  return rows
}
