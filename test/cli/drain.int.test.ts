import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ramp } from '../../src/cli/commands/drain.js'
import { duration } from '../../src/cli/option-values.js'
import type { CliIO } from '../../src/cli/command.js'
import { formatEta, progressLine } from '../../src/cli/work/drain-progress.js'
import { runCli } from '../../src/cli/run.js'
import { demoKeys } from '../../src/demo/keys.js'
import { seedDemoData } from '../../src/demo/schema.js'
import { readMeter } from '../../src/meter/read.js'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import type { DrainProgress } from '../../src/queue/drainer-events.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'
import { MYSQL_URL, REDIS_URL } from '../helpers/services.js'

function io(isTTY = false): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), isTTY, env: { REDIS_URL } }
}

const env = redisForTest('cli-drain')
let dir: string
let db: MysqlForTest

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-drain-'))
  await writeFile(
    join(dir, 'refresher.mjs'),
    'export async function refreshMany(table, ids) { (globalThis.drained ??= []).push(...ids.map((id) => `${table}:${id}`)) }\n',
  )
  db = await mysqlForTest('clidrain')
  await seedDemoData(db.pool, 300)
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
  await db?.cleanup()
  await env.cleanup()
})

const drained = (): string[] => ((globalThis as { drained?: string[] }).drained ??= [])
const products = (n: number, start = 1): Array<{ table: string; id: number; origin: string }> =>
  Array.from({ length: n }, (_, i) => ({ table: 'products', id: start + i, origin: 'products.list' }))

describe('cutover drain: usage', () => {
  it.each([
    [[], /--refresher MODULE/],
    [['--demo', '--refresher', 'x.mjs'], /either --refresher/],
    [['--demo', '--rate', '0'], /CUTOVER_ERR_DRAIN_OPTIONS_INVALID: expected drain option rate \(--rate\)/],
    [['--demo', '--rate', ''], /rate/],
    [['--demo', '--rate', '5', '--ramp', '1:2:1h'], /either --rate or --ramp/],
    [['--demo', '--ramp', '2000:200'], /FROM:TO:DURATION/],
    [['--demo', '--ramp', '2000:0:1h'], /schedule\.to/],
    [['--demo', '--batch', '0'], /expected --batch to be a whole number from 1 to 10000/],
    [['--demo', '--visibility', '30x'], /expected --visibility to be a duration/],
    [['--demo', '--driver', 'kafka'], /expected --driver to be one of list, bullmq/],
    [['--retire', '--until-depth', '5'], /--retire needs an empty queue/],
    [['--demo', '--bogus'], /Unknown option/],
  ])('%j is bad usage (exit 2)', async (args, message) => {
    const out = io()
    expect(await runCli(['drain', ...(args as string[])], out)).toBe(2)
    expect(out.errors.join('\n')).toMatch(message as RegExp)
  })

  it('prints its help', async () => {
    const out = io()
    expect(await runCli(['drain', '--help'], out)).toBe(0)
    expect(out.lines.join('\n')).toMatch(/--until-depth N/)
  })

  it('parses durations and ramps', () => {
    expect(duration('x', '500ms')).toBe(500)
    expect(duration('x', '1.5s')).toBe(1500)
    expect(duration('x', '2h')).toBe(7_200_000)
    expect(ramp('--ramp', '2000:200:1h')).toMatchObject({ from: 2000, to: 200, overMs: 3_600_000 })
    expect(formatEta(null)).toBe('?')
    expect(formatEta(42)).toBe('42s')
    expect(formatEta(725)).toBe('12m 5s')
    expect(formatEta(12_000)).toBe('3h 20m')
  })

  it('draws a bar with what is left, the rate, the target and the ETA', () => {
    const p = {
      depth: 250, drainRate: 300, targetRate: 400, factor: 0.5, etaSeconds: 0.83, drainers: 2, deadLetters: 3, state: 'running', pressure: 'Threads_running 40 (bound 32)',
    } as DrainProgress
    expect(progressLine(p, 1000, 10)).toBe('[########--] 75.0%  250 left  300/s (target 400/s x0.50)  ETA 1s  2 drainers  3 dead  backing off: Threads_running 40 (bound 32)')
  })
})

describe('cutover drain', () => {
  it('drains with an app module and writes JSON lines when stdout is not a terminal', async () => {
    const queue = new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'm1' })
    await queue.enqueue([...products(300), ...products(100)])
    const out = io()
    const code = await runCli(['drain', '--refresher', join(dir, 'refresher.mjs'), '--prefix', env.prefix, '--name', 'm1', '--rate', '100000'], out)
    expect(out.errors).toEqual([])
    expect(code).toBe(0)
    const events = out.lines.map((l) => JSON.parse(l) as { event: string; depth?: number; totals?: Record<string, number> })
    expect(events[0]).toMatchObject({ event: 'start', depth: 400 })
    expect(events.some((e) => e.event === 'progress')).toBe(true)
    const done = events.at(-1) as { event: string; reason: string; totals: Record<string, number> }
    expect(done).toMatchObject({ event: 'done', reason: 'empty' })
    expect((done.totals.refreshed ?? 0) + (done.totals.superseded ?? 0)).toBe(400)
    expect(new Set(drained()).size).toBe(300)
    expect(await queue.depth()).toBe(0)
  })

  it('draws a progress bar on a terminal, then retires the empty queue', async () => {
    const queue = new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'm2' })
    await queue.enqueue(products(2000))
    const out = io(true)
    const code = await runCli(['drain', '--refresher', join(dir, 'refresher.mjs'), '--prefix', env.prefix, '--name', 'm2', '--rate', '4000', '--retire', '--quiet', '0s'], out)
    expect(out.errors).toEqual([])
    expect(code).toBe(0)
    expect(out.lines[0]).toMatch(/^draining: 2,000 jobs, 0 dead letters, rate 4,000\/s/)
    expect(out.lines.some((l) => /\[[#-]+\] \d+\.\d%\s+[\d,]+ left\s+[\d,]+\/s \(target 4,000\/s\)\s+ETA/.test(l))).toBe(true)
    expect(out.lines.filter((l) => l.startsWith('\x1b[1A\x1b[2K')).length).toBeGreaterThan(0)
    expect(out.lines.at(-2)).toMatch(/^drained 2,000 jobs in .* 2,000 refreshed, 0 superseded, 0 dead-lettered/)
    expect(out.lines.at(-1)).toMatch(/^retired the queue/)
    expect(await env.redis.keys(`${env.prefix}*{m2}*`)).toEqual([])
  })

  it('refuses to retire a queue that holds jobs (exit 1, coded reason)', async () => {
    await new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'm3' }).enqueue(products(3))
    const out = io()
    expect(await runCli(['drain', '--retire', '--prefix', env.prefix, '--name', 'm3'], out)).toBe(1)
    expect(out.errors.join('\n')).toMatch(/stopped with 3 job/)
    const quiet = io()
    const emptyQueue = new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'm4' })
    await emptyQueue.enqueue(products(1))
    await emptyQueue.claim(1, 30_000).then((c) => emptyQueue.ack(c))
    expect(await runCli(['drain', '--retire', '--prefix', env.prefix, '--name', 'm4'], quiet)).toBe(1)
    expect(quiet.errors.join('\n')).toMatch(/CUTOVER_ERR_DRAIN_RETIRE_REFUSED: .*quiet window of 300\.0 s/)
  })

  it('stops at --until-depth', async () => {
    const queue = new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'm5' })
    await queue.enqueue(products(3000))
    const out = io()
    expect(await runCli(['drain', '--refresher', join(dir, 'refresher.mjs'), '--prefix', env.prefix, '--name', 'm5', '--rate', '100000', '--until-depth', '2500', '--batch', '50'], out)).toBe(0)
    const left = await queue.depth()
    expect(left).toBeLessThanOrEqual(2500)
    expect(left).toBeGreaterThan(0)
  })

  it('drains a BullMQ queue with the demo refresher, charging the reads to the jobs\' routes', async () => {
    const prefix = `${env.prefix}-demo`
    const queue = new BullmqRefreshQueue({ redis: env.redis, prefix, name: 'refresh' })
    try {
      await queue.enqueue(products(250))
      const from = Date.now()
      const out = io()
      const args = ['drain', '--demo', '--driver', 'bullmq', '--prefix', prefix, '--db', MYSQL_URL, '--database', db.database, '--rate', '100000', '--meter-prefix', `${prefix}-m`, '--json']
      expect(await runCli(args, out)).toBe(0)
      expect(JSON.parse(out.lines.at(-1) ?? '{}')).toMatchObject({ event: 'done', totals: { refreshed: 250 } })
      expect(await env.redis.exists(demoKeys(prefix).product(250))).toBe(1)
      const reading = await readMeter({ redis: env.redis, prefix: `${prefix}-m`, from, to: Date.now() })
      const counters = reading.user.get('products.list')?.counters
      expect(counters?.jobsDone).toBe(250)
      expect(counters?.refreshReads).toBeGreaterThanOrEqual(3)
      expect(counters?.refreshReads).toBeLessThanOrEqual(5)
    } finally {
      await queue.close()
    }
  })
})
