import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { io } from '../helpers/cli.js'
import { runCli } from '../../src/cli/run.js'
import { leafPaths } from '../../src/demo/shadow-demo-report.js'
import type { ShadowReport } from '../../src/report/shadow-model.js'
import { mysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'
import { MYSQL_URL, REDIS_URL } from '../helpers/services.js'


describe('cutover demo shadow', () => {
  it('exits 2 on bad options', async () => {
    for (const args of [['--sample-rate', '0'], ['--sample-rate', '1.5'], ['--duration', 'x'], ['--bogus'], ['--rename-at', '15'], ['--rename-at', '-1']]) {
      expect(await runCli(['demo', 'shadow', ...args], io({}))).toBe(2)
    }
  })

  it('reports the rounding as logic at /items/*/priceCents only, generatedAt as noise, the renamed product as staleness; a rerun reports only its own samples', async () => {
    const db = await mysqlForTest('demoshadow')
    const r = redisForTest('demoshadow')
    const dir = await mkdtemp(join(tmpdir(), 'cutover-demo-shadow-'))
    try {
      const run = async (): Promise<{ text: string; report: ShadowReport; stored: number }> => {
        const out = io({ MYSQL_URL, REDIS_URL })
        // Renamed before the load: with no refresh job in flight, nothing can put the old name back in the
        // object cache for a moment, which would make the legacy side the stale one in a few samples.
        const args = ['demo', 'shadow', '--duration', '3', '--rename-at', '0', '--connections', '2', '--sample-rate', '1', '--database', db.database, '--prefix', r.prefix, '--out', dir]
        const code = await runCli(args, out)
        expect(out.errors).toEqual([])
        expect(code).toBe(0)
        const text = out.lines.join('\n')
        const json = /^report: .* \(also .*, (\S+\.json)\)/m.exec(text)?.[1] as string
        const stored = Number(/ (\d+) stored/.exec(text)?.[1])
        return { text, report: JSON.parse(await readFile(json, 'utf8')) as ShadowReport, stored }
      }
      const first = await run()
      expect(first.text).toMatch(/page cache warmed/)
      expect(first.text).toMatch(/before the load: product 1 renamed to "[^"]+ \(renamed\)" the legacy way/)
      expect(first.text).toMatch(/logic {6}at \/items\/\*\/priceCents in \d+ samples$/m)
      const [route] = first.report.routes
      expect(route?.route).toBe('products.list')
      expect(route!.samples + route!.errors).toBe(first.stored)
      const leaves = leafPaths(route!.paths)
      expect(leaves.filter((l) => l.counts.logic).map((l) => l.path)).toEqual(['/items/*/priceCents'])
      expect(leaves.find((l) => l.path === '/generatedAt')?.counts).toEqual({ noise: route!.samples })
      expect(leaves.find((l) => l.path === '/items/*/name')?.counts.staleness).toBeGreaterThan(0)
      // The stale samples' most serious cause is the rounding (logic); their page age is on the staleness examples.
      const stale = route!.examples.find((e) => e.cause === 'staleness')
      expect(stale?.pageAgeMs).toBeGreaterThan(0)
      expect(stale?.patch).toMatch(/cached page \(age \d+ms\)/)

      const second = await run()
      expect(second.report.routes[0]!.samples + second.report.routes[0]!.errors).toBe(second.stored)
      expect((await readdir(dir)).filter((f) => /^shadow-demo-.*\.(html|md|json)$/.test(f))).toHaveLength(6)
    } finally {
      await rm(dir, { recursive: true, force: true })
      await db.cleanup()
      await r.cleanup()
    }
  }, 90_000)
})
