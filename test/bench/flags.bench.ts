import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import { FileFlagSource } from '../../src/flags/file-source.js'
import { RouteModes } from '../../src/flags/route-mode.js'
import { load, printRows, startServer, type LoadResult, type Row } from './harness.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const server = new URL('./flags-server.ts', import.meta.url)

/**
 * Flag evaluation on the page-cache hit path: the memory-hit path with a flag
 * source (mode on; canary with an identity) against the same path without one.
 * Throughput runs alternate (static, on, canary, repeated) so drift hits every
 * case alike; the per-request decision cost is also timed directly.
 */
export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 5), rounds = Number(process.env.BENCH_ROUNDS ?? 2)): Promise<Row[]> {
  const cases = ['static', 'flags-on', 'flags-canary']
  const results = new Map<string, LoadResult[]>(cases.map((c) => [c, []]))
  for (let round = 0; round < rounds; round++) {
    for (const mode of cases) {
      const s = await startServer(server, [mode])
      try {
        const headers = { 'x-user': 'bench-user' }
        const first = await fetch(`${s.url}/page`, { headers })
        await first.arrayBuffer()
        if (first.headers.get('cutover-path') !== 'page') throw new Error(`${mode}: expected the page path, got ${first.headers.get('cutover-path')}`)
        await load({ url: s.url, path: '/page', seconds: 1, headers })
        results.get(mode)?.push(await load({ url: s.url, path: '/page', seconds, headers }))
      } finally {
        await s.stop()
      }
    }
  }
  const mean = (rs: LoadResult[]): LoadResult => ({
    rps: rs.reduce((a, r) => a + r.rps, 0) / rs.length,
    p50: rs.reduce((a, r) => a + r.p50, 0) / rs.length,
    p99: rs.reduce((a, r) => a + r.p99, 0) / rs.length,
    non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
    errors: rs.reduce((a, r) => a + r.errors, 0),
  })
  const decision = await decisionCost()
  const rows: Row[] = cases.map((name) => ({
    name: `memory-hit ${name}`,
    result: mean(results.get(name) ?? []),
    ...(name === 'static' ? {} : { baseline: 'memory-hit static' }),
  }))
  const hitNs = 1e9 / (rows[0]?.result.rps ?? 1)
  for (const row of rows.slice(1)) {
    const ns = row.name.endsWith('canary') ? decision.canaryNs : decision.onNs
    row.extra = { 'decision ns': ns.toFixed(0), 'decision / hit (server time per request)': `${((ns / hitNs) * 100).toFixed(3)}%` }
  }
  printRows(`Flags on the page-cache hit path, mean of ${rounds} alternating rounds of ${seconds}s (target: <= 2% cost)`, rows)
  return rows
}

/** Nanoseconds per decision of the plugin's route-mode layer, timed in-process. */
async function decisionCost(): Promise<{ onNs: number; canaryNs: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-bench-decide-'))
  const path = join(dir, 'flags.yaml')
  writeFileSync(path, 'routes:\n  on: on\n  canary: { mode: canary, percent: 99.99 }\n')
  const flags = new FileFlagSource({ path, watch: false, pollIntervalMs: 60_000 })
  await flags.start()
  const app = Fastify({ logger: false })
  const modes = new RouteModes({ flags, identify: (req) => req.headers['x-user'] as string | undefined }, { isOwnMarker: () => false }, app, {})
  const request = { headers: { 'x-user': 'bench-user' }, id: 'req-1' } as never
  const reply = { header: () => reply } as never
  const time = (routeId: string): number => {
    const decide = modes.decider({ id: routeId, mode: 'on' }, () => 'page-key')
    for (let i = 0; i < 200_000; i++) decide(request, reply)
    const n = 2_000_000
    const start = performance.now()
    for (let i = 0; i < n; i++) decide(request, reply)
    return ((performance.now() - start) * 1e6) / n
  }
  const result = { onNs: time('on'), canaryNs: time('canary') }
  await flags.close()
  await app.close()
  return result
}
