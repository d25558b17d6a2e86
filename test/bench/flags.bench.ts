import { performance } from 'node:perf_hooks'
import Fastify from 'fastify'
import { FileFlagSource } from '../../src/flags/file-source.js'
import { RouteModes } from '../../src/modes/route-modes.js'
import { load, median, printRows, startServer, type LoadResult, type Row } from './harness.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const server = new URL('./flags-server.ts', import.meta.url)

/**
 * Flag evaluation on the page-cache hit path: the memory-hit path with a flag
 * source (mode on; canary with an identity) against the same path without one.
 * All servers run at once and the cases are interleaved over several rounds;
 * each figure is the median round. The per-request decision is also timed
 * directly, since its cost is far below throughput noise.
 */
export async function run(seconds = Number(process.env.BENCH_SECONDS ?? 4), rounds = Number(process.env.BENCH_ROUNDS ?? 3)): Promise<Row[]> {
  const cases = ['static', 'flags-on', 'flags-canary'] as const
  const headers = { 'x-user': 'bench-user' }
  const servers = await Promise.all(cases.map((mode) => startServer(server, [mode])))
  const results = new Map<string, LoadResult[]>(cases.map((c) => [c, []]))
  try {
    for (const [n, s] of servers.entries()) {
      const first = await fetch(`${s.url}/page`, { headers })
      await first.arrayBuffer()
      if (first.headers.get('cutover-path') !== 'page') throw new Error(`${cases[n]}: expected the page path, got ${first.headers.get('cutover-path')}`)
      await load({ url: s.url, path: '/page', seconds: 1, headers })
    }
    for (let round = 0; round < rounds; round++) {
      for (const [n, s] of servers.entries()) results.get(cases[n] as string)?.push(await load({ url: s.url, path: '/page', seconds, headers }))
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()))
  }
  const decision = await decisionCost()
  const rows: Row[] = cases.map((name) => ({
    name: `memory-hit ${name}`,
    result: median(results.get(name) ?? []),
    ...(name === 'static' ? {} : { baseline: 'memory-hit static' }),
  }))
  const hitNs = 1e9 / (rows[0]?.result.rps ?? 1)
  for (const row of rows.slice(1)) {
    const ns = row.name.endsWith('canary') ? decision.canaryNs : decision.onNs
    row.extra = { 'decision ns': ns.toFixed(0), 'decision / server time per hit': `${((ns / hitNs) * 100).toFixed(3)}%` }
  }
  printRows(`Flags on the page-cache hit path, median of ${rounds} interleaved rounds of ${seconds}s (target: flag evaluation <= 2% of the hit path)`, rows)
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
