import { load, printRows, startServer, type Row } from './harness.js'

const server = new URL('./page-server.ts', import.meta.url)

/** Page-cache throughput against the plain-Fastify ceiling, measured in one run. */
export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 5)): Promise<Row[]> {
  const rows: Row[] = []
  for (const mode of ['ceiling', 'memory-hit', 'redis-hit', 'miss']) {
    const s = await startServer(server, [mode])
    try {
      let i = 0
      await load({ url: s.url, path: '/page', seconds: 1 }) // warm-up (and the first store)
      const result = await load({
        url: s.url,
        path: '/page',
        seconds,
        ...(mode === 'miss' ? { nextPath: () => `/page?i=${i++}` } : {}),
      })
      rows.push({ name: mode, result, ...(mode === 'ceiling' ? {} : { baseline: 'ceiling' }) })
    } finally {
      await s.stop()
    }
  }
  printRows('Page cache: constant 10 KB JSON body (targets: memory-hit >= 0.9x, redis-hit >= 0.5x ceiling)', rows)
  return rows
}
