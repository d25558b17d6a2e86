import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { io } from '../helpers/cli.js'
import { runCli } from '../../src/cli/run.js'
import type { AmplificationReport } from '../../src/report/amplification.js'
import { mysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'
import { MYSQL_URL, REDIS_URL } from '../helpers/services.js'


describe('cutover demo', () => {
  it('fails naming the MySQL URL it tried and the variable to set', async () => {
    const out = io({ MYSQL_URL: 'mysql://root@127.0.0.1:1', REDIS_URL })
    expect(await runCli(['demo', '--duration', '1'], out)).toBe(1)
    expect(out.errors.join('\n')).toMatch(/CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE: MySQL is not reachable at mysql:\/\/root@127\.0\.0\.1:1.*MYSQL_URL/)
  })

  it('fails naming the Redis URL it tried and the variable to set', async () => {
    const out = io({ MYSQL_URL, REDIS_URL: 'redis://127.0.0.1:1' })
    expect(await runCli(['demo', 'serve', '--port', '1'], out)).toBe(1)
    expect(out.errors.join('\n')).toMatch(/Redis is not reachable at redis:\/\/127\.0\.0\.1:1.*REDIS_URL/)
  })

  it('exits 2 on bad options', async () => {
    for (const args of [['--queue', 'kafka'], ['--duration', '0'], ['--bogus']]) {
      const out = io({})
      expect(await runCli(['demo', ...args], out)).toBe(2)
    }
  })

  it('runs both phases and writes the report: lists cost about 100 DB calls a request before, almost none after', async () => {
    const db = await mysqlForTest('demo')
    const r = redisForTest('demo')
    const dir = await mkdtemp(join(tmpdir(), 'cutover-demo-'))
    try {
      const out = io({ MYSQL_URL, REDIS_URL })
      const code = await runCli(['demo', '--duration', '2', '--connections', '2', '--drain', '3', '--database', db.database, '--prefix', r.prefix, '--out', dir], out)
      expect(out.errors).toEqual([])
      expect(code).toBe(0)
      const text = out.lines.join('\n')
      expect(text).toContain('10,000 products')
      expect(text).toMatch(/DB calls per request/)
      const files = await readdir(dir)
      expect(files.filter((f) => /^amplification-.*\.(html|md|json)$/.test(f))).toHaveLength(3)
      const json = files.find((f) => f.endsWith('.json')) as string
      const report = JSON.parse(await readFile(join(dir, json), 'utf8')) as AmplificationReport
      const [legacy, paged] = report.phases
      const legacyList = legacy?.routes.find((x) => x.route === 'products.list')
      const pagedList = paged?.routes.find((x) => x.route === 'products.list')
      expect(legacyList?.requests).toBeGreaterThan(0)
      // Requests count on arrival; one cut off by the end of the load may not have enqueued its jobs.
      const requests = legacyList?.requests ?? 0
      expect(legacyList?.refreshJobs).toBeLessThanOrEqual(requests * 100)
      expect(legacyList?.refreshJobs).toBeGreaterThanOrEqual((requests - 2) * 100)
      expect(legacyList?.dbCallsPerRequest).toBeGreaterThanOrEqual(95)
      expect(legacyList?.dbCallsPerRequest).toBeLessThan(103)
      expect(pagedList?.refreshJobs).toBe(0)
      expect(pagedList?.dbCallsPerRequest).toBeLessThan(3)
      expect(text).toContain(join(dir, json.replace(/\.json$/, '.html')))
    } finally {
      await rm(dir, { recursive: true, force: true })
      await db.cleanup()
      await r.cleanup()
    }
  }, 60_000)
})

describe('cutover demo serve', () => {
  it('serves the demo app with its worker until interrupted, metered under the prefix', async () => {
    const db = await mysqlForTest('serve')
    const r = redisForTest('serve')
    try {
      const out = io({ MYSQL_URL, REDIS_URL })
      const running = runCli(['demo', 'serve', '--port', '0', '--page-cache', '--metrics', '--database', db.database, '--prefix', r.prefix], out)
      let url: string | undefined
      for (let i = 0; i < 300 && !url; i++) {
        url = /at (http:\/\/\S+)$/.exec(out.lines[0] ?? '')?.[1]
        if (!url) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(out.lines[0]).toMatch(/page cache on for the read routes/)
      const page = await fetch(`${url}/api/products?page=3&sort=name`)
      expect(page.status).toBe(200)
      expect(((await page.json()) as { items: unknown[] }).items).toHaveLength(100)
      // The page is stored after its response went out: a request right behind it may still miss.
      let requests = 1
      let status: string | null = null
      for (const started = Date.now(); !/hit/.test(status ?? '') && Date.now() - started < 5000; requests++) {
        if (requests > 1) await new Promise((resolve) => setTimeout(resolve, 50))
        status = (await fetch(`${url}/api/products?page=3&sort=name`)).headers.get('cache-status')
      }
      expect(status).toMatch(/hit/)
      expect(await (await fetch(`${url}/metrics`)).text()).toContain(`cutover_meter_requests_total{route="products.list",traffic="user"} ${requests}`)
      process.emit('SIGINT')
      expect(await running).toBe(0)
      expect(out.lines).toContain('stopping')
    } finally {
      await db.cleanup()
      await r.cleanup()
    }
  })
})
