// `cutover demo week`: the week-long cutover of the demo's three read routes,
// in minutes. Steady load on the demo app (legacy worker capped, as a legacy
// fleet is), a baseline, then the playbook runner applies the playbook at a
// time scale, the drainer works the backlog off when the playbook says, and
// the timeline report tells what happened. The run checks its own story.
import type { Redis } from 'ioredis'
import type { Pool, RowDataPacket } from 'mysql2/promise'
import { migrate } from '../db/migrate.js'
import { readMeter } from '../meter/read.js'
import { createQueueControl } from '../queue/control.js'
import { describeEvent } from '../playbook/describe.js'
import type { JournalEvent } from '../playbook/events.js'
import type { Playbook } from '../playbook/model.js'
import { loadPlaybook } from '../playbook/parse.js'
import { plan } from '../playbook/plan.js'
import { PlaybookRunner } from '../playbook/runner.js'
import { nextOpen } from '../playbook/window.js'
import { summarize } from '../report/amplification.js'
import type { SummaryPhase, TimelineData } from '../report/timeline-model.js'
import { driveLoadApart, type LoadResult } from './load.js'
import { DEMO_PRODUCTS, seedDemoData } from './schema.js'
import { databaseUrl, deleteKeys, openDemoDatabase, redactUrl, withDemoServices } from './services.js'
import { progressLine } from './week-progress.js'
import { writeWeekReport, type WeekReportFiles } from './week-report.js'
import { comSelect, startSampler } from './week-sampler.js'
import { FAULTY_ROUTE, startWeekStack, WEEK_ROUTES, type WeekStack } from './week-stack.js'
import { checkStory, storySettled, type StoryCheck } from './week-story.js'

export interface WeekDemoOptions {
  mysqlUrl: string
  redisUrl: string
  database: string
  /** Prefix of this run's object cache, queue, pages and meter (cleared first). */
  prefix: string
  playbookFile: string
  /** Wall seconds the whole run should take if every gate passes when its hold ends. */
  durationSeconds: number
  /** Playbook clock speed; by default what fits the playbook's plan into the duration. */
  timeScale?: number | undefined
  faults: boolean
  /** Requests per second, all instances together. */
  rate: number
  instances: number
  /** Refresh jobs per second the legacy worker fleet runs. */
  workerRate: number
  outDir: string
  log: (line: string) => void
}

export interface WeekDemoResult {
  ok: boolean
  story: StoryCheck[]
  files: WeekReportFiles
  data: TimelineData
}

const SHADOW_TABLES = ['shadow_samples', 'shadow_diffs', 'shadow_examples', 'shadow_reservoir', 'shadow_daily', 'shadow_noise']
const BUCKET_SECONDS = 1
/** Load runs this long before the baseline is measured (connections open, caches warm). */
const WARMUP_MS = 2000
const DAY_MS = 86_400_000
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** A clean slate: seeded data, migrated tables, no earlier journal, samples or keys of this run's names. */
async function prepare(pool: Pool, redis: Redis, o: WeekDemoOptions, playbook: Playbook): Promise<void> {
  const rows = await seedDemoData(pool, DEMO_PRODUCTS)
  await migrate({ url: databaseUrl(o.mysqlUrl, o.database) })
  await pool.query('DELETE FROM playbook_events WHERE playbook = ?', [playbook.name])
  await pool.query('DELETE FROM playbook_gate_readings WHERE playbook = ?', [playbook.name])
  for (const table of SHADOW_TABLES) await pool.query(`DELETE FROM ${table} WHERE route IN (?)`, [WEEK_ROUTES])
  await deleteKeys(redis, `${o.prefix}:v1:*`)
  await deleteKeys(redis, `${o.prefix}-meter:v1:*`)
  o.log(`database ${o.database}: ${rows.toLocaleString('en-US')} products; journal of playbook "${playbook.name}", shadow rows and keys under ${o.prefix} cleared`)
}

/** The first moment the playbook may start on or after the coming Monday, 00:00 UTC: a week that begins with the week. */
export function weekStart(playbook: Playbook, now: number): number {
  const d = new Date(now)
  const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) + ((8 - d.getUTCDay()) % 7 || 7) * DAY_MS
  return nextOpen(playbook.stages[0]?.window, monday)
}

/** Wall seconds of the baseline before the playbook starts, and of the after window at the end. */
export const edgeSeconds = (duration: number): number => Math.max(3, Math.round(duration * 0.06))

/** The time scale that fits the plan (every gate passing at the end of its hold) into the duration. */
export function fitScale(playbook: Playbook, start: number, durationSeconds: number): number {
  const p = plan({ playbook, routes: WEEK_ROUTES, start })
  const retire = playbook.stages.at(-1)?.actions.retire?.quietMs ?? 0
  const run = Math.max(1, durationSeconds - 2 * edgeSeconds(durationSeconds))
  return (p.endScaled - start + retire) / 1000 / run
}

async function phase(redis: Redis, stack: WeekStack, label: string, from: number, to: number, selects: number): Promise<SummaryPhase> {
  const reading = await readMeter({ redis, prefix: stack.meterPrefix, bucketSeconds: BUCKET_SECONDS, from, to: to - 1 })
  const snapshot = summarize(reading, { label, durationSeconds: (to - from) / 1000 })
  const requests = snapshot.total.requests
  return { snapshot, comSelect: selects, comSelectPerRequest: requests > 0 ? selects / requests : null }
}

/** A window of load measured by the meter and by MySQL's Com_select, ending after `seconds`. */
async function measuredWindow(pool: Pool, redis: Redis, stack: WeekStack, label: string, seconds: number): Promise<() => Promise<SummaryPhase>> {
  const from = Math.ceil(Date.now() / 1000) * 1000
  await sleep(from - Date.now())
  const before = await comSelect(pool)
  await sleep(seconds * 1000)
  const to = Math.floor(Date.now() / 1000) * 1000
  const selects = (await comSelect(pool)) - before
  // Read once the meter has flushed the last second.
  return async () => phase(redis, stack, label, from, to, selects)
}

interface Drive {
  runner: PlaybookRunner
  playbook: Playbook
  stack: WeekStack
  deadline: number
  log: (line: string) => void
  faulty: string | undefined
}

/** Ticks the runner until the story has played out or the deadline passes. */
async function drive(d: Drive): Promise<void> {
  const intervalMs = Math.max(200, Math.min(2000, Math.round(30_000 / d.runner.timeScale)))
  const firstQueueStage = d.playbook.stages[d.playbook.firstQueueStage]
  let lastProgress = 0
  while (Date.now() < d.deadline) {
    const tick = await d.runner.tick().catch((err: unknown) => {
      d.log(`tick failed: ${(err as Error).message}`)
      return undefined
    })
    if (tick) {
      for (const e of tick.events) d.log(`  ${day(e.scaled)} ${describeEvent(e.body)}`)
      if (Date.now() - lastProgress >= 2000) {
        lastProgress = Date.now()
        const status = await d.stack.control.status().catch(() => undefined)
        d.log(progressLine(tick, status))
      }
      const q = tick.state.queue
      const scaledNow = d.runner.state.clock ? d.runner.state.clock.scaledAt + (Date.now() - d.runner.state.clock.wallAt) * d.runner.timeScale : 0
      const drainHeld = firstQueueStage !== undefined && q.stage === firstQueueStage.name && scaledNow - q.enteredScaled >= firstQueueStage.holdMs
      const events = await d.runner.journal.load()
      if (storySettled({ events, routes: WEEK_ROUTES, faulty: d.faulty, drained: 0 }, drainHeld)) return
    }
    await sleep(intervalMs)
  }
  d.log('the deadline passed before the story played out')
}

/** `Mon 09:00` on the playbook clock. */
export function day(scaled: number): string {
  const d = new Date(scaled)
  return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${d.toISOString().slice(11, 16)}`
}

async function holdSpans(pool: Pool, playbook: string): Promise<TimelineData['holds']> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT route, stage, gate, MIN(wall_ms) AS f, MAX(wall_ms) AS t, MAX(detail) AS detail
       FROM playbook_gate_readings WHERE playbook = ? AND verdict = 'hold' AND detail LIKE '% of % needed' GROUP BY route, stage, gate ORDER BY f`,
    [playbook],
  )
  return rows.map((r) => ({ route: r.route === null ? null : String(r.route), stage: String(r.stage), gate: String(r.gate), from: Number(r.f), to: Number(r.t), detail: String(r.detail) }))
}

/** The whole week: returns whether the story happened as scripted, and the report's files. */
export async function runWeekDemo(o: WeekDemoOptions): Promise<WeekDemoResult> {
  const started = Date.now()
  const playbook = await loadPlaybook(o.playbookFile)
  return withDemoServices(o, async ({ pool, redis }) => {
    o.log(`MySQL ${redactUrl(databaseUrl(o.mysqlUrl, o.database))}, Redis ${redactUrl(o.redisUrl)}`)
    await prepare(pool, redis, o, playbook)
    // The runner and the sampler on connections of their own: behind the app's queued queries a tick would wait for seconds.
    const ops = { pool: await openDemoDatabase(o.mysqlUrl, o.database, 6), redis: redis.duplicate() }
    // The drainer's: the instances' apps and workers open connections of their own.
    const workerPool = await openDemoDatabase(o.mysqlUrl, o.database, 6)
    try {
      return await runWeek(o, playbook, { pool, redis }, ops, workerPool, started)
    } finally {
      await workerPool.end().catch(() => undefined)
      await ops.pool.end().catch(() => undefined)
      ops.redis.disconnect()
    }
  })
}

interface Clients {
  pool: Pool
  redis: Redis
}

async function runWeek(o: WeekDemoOptions, playbook: Playbook, { redis }: Clients, ops: Clients, workerPool: Pool, started: number): Promise<WeekDemoResult> {
  const clockStart = weekStart(playbook, Date.now())
  const scale = o.timeScale ?? fitScale(playbook, clockStart, o.durationSeconds)
  const edge = edgeSeconds(o.durationSeconds)
  const faulty = o.faults ? FAULTY_ROUTE : undefined
  const stack = await startWeekStack({ mysqlUrl: o.mysqlUrl, database: o.database, redisUrl: o.redisUrl, workerPool, redis, prefix: o.prefix, instances: o.instances, faults: o.faults, workerRate: o.workerRate, bucketSeconds: BUCKET_SECONDS })
  const stopLoad = new AbortController()
  let loads: Promise<LoadResult[]> = Promise.resolve([])
  let sampler: ReturnType<typeof startSampler> | undefined
  let runner: PlaybookRunner | undefined
  let drained = 0
  let before: () => Promise<SummaryPhase>
  let after: () => Promise<SummaryPhase>
  const loadFrom = Date.now()
  try {
    o.log(`${o.instances} app instance(s) at ${stack.urls.join(', ')}; each a process; steady load ${o.rate} req/s from a process of its own per instance (a third on each read route, no writes); legacy worker fleet ${o.workerRate} jobs/s`)
    o.log(`${faulty ? `fault on: ${faulty}'s page handler rounds prices (the shadow gate should catch it)` : 'no faults: every route should reach on'}`)
    const deadlineSeconds = o.durationSeconds * 3 + 60
    // No writes: a price change reorders the legacy path's cached id lists for a minute, which the shadow would rightly call a difference.
    const generators = stack.urls.map((url, i) => driveLoadApart({ url, durationSeconds: deadlineSeconds, rate: o.rate / o.instances, mix: 'even', writeShare: 0, connections: 16, seed: i + 1, signal: stopLoad.signal }))
    loads = Promise.all(generators.map((g) => g.done))
    await Promise.all(generators.map((g) => g.ready))
    const control = createQueueControl({ redis: ops.redis, prefix: o.prefix })
    sampler = startSampler({ ...ops, meterPrefix: stack.meterPrefix, bucketSeconds: BUCKET_SECONDS, control, routes: WEEK_ROUTES }, 1000, (err) => o.log(`sample failed: ${(err as Error).message}`))
    await sleep(WARMUP_MS)
    o.log(`baseline: ${edge} s of the legacy app as it is (queue gate pass, no page cache)`)
    before = await measuredWindow(ops.pool, ops.redis, stack, 'before: legacy', edge)
    runner = new PlaybookRunner({
      playbook, pool: ops.pool, writer: stack.writer, queue: control, timeScale: scale, clockStart, actor: 'demo',
      meter: { redis: ops.redis, prefix: stack.meterPrefix, bucketSeconds: BUCKET_SECONDS },
    })
    o.log(`playbook ${playbook.name} (${o.playbookFile}) at time scale ${Math.round(scale)}: a playbook day is ${(DAY_MS / scale / 1000).toFixed(1)} s; its clock starts ${day(clockStart)} ${new Date(clockStart).toISOString().slice(0, 10)}`)
    for (const e of await runner.start()) o.log(`  ${day(e.scaled)} ${describeEvent(e.body)}`)
    await drive({ runner, playbook, stack, deadline: started + deadlineSeconds * 1000, log: o.log, faulty })
    o.log(`after: ${edge} s of load on the routes as the playbook left them`)
    after = await measuredWindow(ops.pool, ops.redis, stack, 'after: cut over', edge)
  } finally {
    stopLoad.abort()
    await loads.catch(() => [])
    await sampler?.stop()
    await runner?.stop()
    drained = (await stack.drainer.stop()).totals.refreshed
    await stack.close()
  }
  return finish({ o, runner, ops, faulty, drained, samples: sampler.samples, scale, loadFrom, before, after, started })
}

interface Finish {
  o: WeekDemoOptions
  runner: PlaybookRunner
  ops: Clients
  faulty: string | undefined
  drained: number
  samples: TimelineData['samples']
  scale: number
  loadFrom: number
  before: () => Promise<SummaryPhase>
  after: () => Promise<SummaryPhase>
  started: number
}

/** Reads the journal, checks the story, writes the report and prints the checks. */
async function finish(f: Finish): Promise<WeekDemoResult> {
  const { o, faulty } = f
  const events: JournalEvent[] = await f.runner.journal.load()
  const story = checkStory({ events, routes: WEEK_ROUTES, faulty, drained: f.drained })
  const data: TimelineData = {
    title: `cutover: the week of the demo's read routes${faulty ? ', with a faulty route' : ''}`,
    generatedAt: new Date().toISOString(),
    playbook: f.runner.playbook.name, faults: o.faults, timeScale: f.scale, startedAt: f.loadFrom, endedAt: Date.now(),
    routes: [...WEEK_ROUTES], samples: f.samples, events, holds: await holdSpans(f.ops.pool, f.runner.playbook.name),
    findings: [], before: await f.before(), after: await f.after(), story, drained: f.drained,
  }
  const files = await writeWeekReport(f.ops.pool, data, o.outDir)
  const ok = story.every((c) => c.ok)
  for (const c of story) o.log(`${c.ok ? 'ok  ' : 'FAIL'} ${c.text}`)
  o.log(`report: ${files.html} (also ${files.md}, ${files.json}); took ${((Date.now() - f.started) / 1000).toFixed(0)} s`)
  return { ok, story, files, data }
}
