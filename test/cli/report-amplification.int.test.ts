import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from '../helpers/cli.js'
import { runCli } from '../../src/cli/run.js'
import { runWithMeterContext } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import type { AmplificationReport } from '../../src/report/amplification.js'
import { redisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'


const env = redisForTest('cli-amp')
let dir: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-amp-'))
  const meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0 })
  for (let i = 0; i < 4; i++) {
    runWithMeterContext({ route: 'products.list', shadow: false, source: 'request' }, () => meter.countQuery())
    meter.countEnqueued('products.list', 100)
    for (let j = 0; j < 100; j++) await meter.runJob('products.list', async () => meter.countQuery())
    meter.recordRequest({ route: 'products.list', shadow: false, durationMs: 20, statusCode: 200 })
  }
  await meter.close()
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await env.cleanup()
})

describe('cutover report amplification', () => {
  it('reads the shared counters for a window and prints JSON', async () => {
    const out = io({ REDIS_URL })
    expect(await runCli(['report', 'amplification', '--prefix', env.prefix, '--since', '10m', '--format', 'json'], out)).toBe(0)
    const report = JSON.parse(out.lines.join('\n')) as AmplificationReport
    expect(report.phases[0]?.routes[0]).toMatchObject({ route: 'products.list', requests: 4, inlineQueries: 4, refreshReads: 400, dbCallsPerRequest: 101 })
  })

  it('prints the table by default and writes a file with --out', async () => {
    const table = io({ REDIS_URL })
    expect(await runCli(['report', 'amplification', '--prefix', env.prefix], table)).toBe(0)
    expect(table.lines.join('\n')).toMatch(/products\.list\s+4\s/)
    const file = join(dir, 'amp.html')
    const written = io({ REDIS_URL })
    expect(await runCli(['report', 'amplification', '--prefix', env.prefix, '--format', 'html', '--out', file], written)).toBe(0)
    expect(written.lines).toEqual([`wrote ${file}`])
    expect(await readFile(file, 'utf8')).toContain('<td>products.list</td>')
  })

  it('says so when the window holds no data', async () => {
    const out = io({ REDIS_URL })
    expect(await runCli(['report', 'amplification', '--prefix', `${env.prefix}-empty`, '--from', '2020-01-01T00:00:00Z', '--to', '2020-01-01T01:00:00Z'], out)).toBe(0)
    expect(out.errors.join('\n')).toMatch(/no meter data/)
  })

  it('exits 2 on a bad format, duration or window', async () => {
    for (const args of [['--format', 'pdf'], ['--since', '10 minutes'], ['--from', 'yesterday'], ['--since', '5m', '--from', '2020-01-01T00:00:00Z'], ['--bucket-seconds', '0']]) {
      const out = io({ REDIS_URL })
      expect(await runCli(['report', 'amplification', ...args], out)).toBe(2)
      expect(out.errors.join('\n')).toMatch(/CUTOVER_ERR_CLI_USAGE/)
    }
  })
})
