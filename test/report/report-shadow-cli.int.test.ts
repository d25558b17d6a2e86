import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIO } from '../../src/cli/command.js'
import { runCli } from '../../src/cli/run.js'
import { migrate } from '../../src/db/migrate.js'
import type { ShadowReport } from '../../src/report/shadow-model.js'
import { createShadowWriter } from '../../src/shadow/writer.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { matchRecord, sampleRecord } from '../helpers/shadow-records.js'

function io(): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), isTTY: false, env: {} }
}

describe('cutover report shadow', () => {
  let db: MysqlForTest
  let out: string
  beforeAll(async () => {
    db = await mysqlForTest('reportcli')
    out = mkdtempSync(join(tmpdir(), 'shadow-report-'))
    await migrate({ url: db.url })
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    const now = Date.now()
    for (let i = 0; i < 30; i++) w.write(matchRecord({ at: now - 3_600_000 + i }))
    w.write(sampleRecord({ at: now - 1_800_000 }))
    for (let i = 0; i < 20; i++) w.write(matchRecord({ route: 'categories.list', at: now - 60_000 + i }))
    w.write(sampleRecord({ route: 'categories.list', at: now - 10 * 86_400_000 }))
    await w.close()
  })
  afterAll(async () => {
    rmSync(out, { recursive: true, force: true })
    await db.cleanup()
  })

  it('writes HTML, Markdown and JSON and prints the paths', async () => {
    const cli = io()
    const code = await runCli(['report', 'shadow', '--db', db.url, '--out', out, '--min-samples', '10', '--max-mismatch', '0.2'], cli)
    expect(code).toBe(0)
    const files = readdirSync(out).sort()
    expect(files.map((f) => f.split('.').at(-1))).toEqual(['html', 'json', 'md'])
    for (const f of files) expect(cli.lines).toContain(`wrote ${join(out, f)}`)
    const report = JSON.parse(readFileSync(join(out, files.find((f) => f.endsWith('.json'))!), 'utf8')) as ShadowReport
    expect(report.routes.map((r) => [r.route, r.samples, r.mismatches.logic, r.verdict.ready])).toEqual([
      ['categories.list', 20, 0, true],
      ['products.list', 31, 1, false],
    ])
    expect(report.routes[1]!.examples[0]).toMatchObject({ shape: '/items/*/price', cause: 'logic', curl: "curl -sS 'http://localhost:3000/api/products?page=1' -H 'accept: application/json'" })
    expect(readFileSync(join(out, files.find((f) => f.endsWith('.html'))!), 'utf8')).toContain('products.list')
  })

  it('exits 1 with --fail-on when a route has that cause, 0 otherwise, and filters by route and window', async () => {
    const fail = io()
    expect(await runCli(['report', 'shadow', '--db', db.url, '--out', out, '--format', 'json', '--fail-on', 'logic,leak'], fail)).toBe(1)
    expect(fail.errors).toEqual(['--fail-on: products.list: 1 logic'])
    const pass = io()
    expect(await runCli(['report', 'shadow', '--db', db.url, '--out', out, '--format', 'json', '--fail-on', 'logic', '--route', 'categories.list'], pass)).toBe(0)
    // The older logic mismatch counts once the window reaches back to it.
    expect(await runCli(['report', 'shadow', '--db', db.url, '--out', out, '--format', 'json', '--fail-on', 'logic', '--route', 'categories.list', '--since', '30d'], io())).toBe(1)
    const md = io()
    expect(await runCli(['report', 'shadow', '--db', db.url, '--out', out, '--format', 'md', '--route', 'categories.list', '--since', '30d', '--stdout', 'json'], md)).toBe(0)
    const report = JSON.parse(md.lines.find((l) => l.startsWith('{'))!) as ShadowReport
    expect(report.routes.map((r) => [r.route, r.samples, r.mismatches.logic])).toEqual([['categories.list', 21, 1]])
  })

  it('refuses malformed options with exit code 2 and says what was expected', async () => {
    const bad = io()
    expect(await runCli(['report', 'shadow', '--db', db.url, '--fail-on', 'typo'], bad)).toBe(2)
    expect(bad.errors.join('\n')).toMatch(/CUTOVER_ERR_CLI_USAGE: expected --fail-on to be one of leak, logic, .*got "typo"/)
    const since = io()
    expect(await runCli(['report', 'shadow', '--db', db.url, '--since', 'yesterday'], since)).toBe(2)
    const noDb = io()
    expect(await runCli(['report', 'shadow'], noDb)).toBe(2)
  })
})
