import { createHash } from 'node:crypto'
import type { RowDataPacket } from 'mysql2/promise'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { FileAdminWriter } from '../../src/flags/file-admin.js'
import { Meter } from '../../src/meter/meter.js'
import { approve, pause, resume, rollback } from '../../src/playbook/control.js'
import { describeEvent } from '../../src/playbook/describe.js'
import type { EventBody, JournalEvent } from '../../src/playbook/events.js'
import { Journal } from '../../src/playbook/journal.js'
import { parsePlaybook } from '../../src/playbook/parse.js'
import { PlaybookRunner, type PlaybookRunnerOptions } from '../../src/playbook/runner.js'
import { readStatus, renderStatus } from '../../src/playbook/status.js'
import { FakeQueueControl } from '../helpers/fake-queue-control.js'
import { countingWriter, insertSamples, playbookIO, type PlaybookIO } from '../helpers/playbook-io.js'
import { mysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

const HOUR = 3_600_000
const T0 = Date.UTC(2024, 5, 3, 10)
const MIN = 60_000

const YAML = (name: string): string => `
version: 1
name: ${name}
routes: { match: [r1, r2], concurrency: 2 }
minSamples: 3
stages:
  - name: measure
    actions: { mode: "off", queueGate: dedupe }
    hold: 2h
  - name: shadow
    actions: { mode: shadow, shadowRate: 0.5 }
    hold: 2h
    gates: { shadowMatchRate: { min: 0.9 }, logicMismatches: { max: 0 } }
  - name: canary
    actions: { mode: canary, percent: 20 }
    hold: 2h
    gates: { errorRate: { maxIncrease: 0.05 }, p99: { maxRatio: 3 }, manual: true }
  - name: "on"
    actions: { mode: "on", queueGate: drop }
    hold: 2h
  - name: drain
    scope: queue
    actions: { drain: { ramp: { from: 100, to: 500, over: 2h } } }
    gates: { queueDepth: { max: 0, minSamples: 1 } }
  - name: retire
    scope: queue
    actions: { retire: { quiet: 20m } }
`

let io: PlaybookIO
const redis = redisForTest('playbook-runner')
let now = T0
let names = 0

beforeAll(async () => {
  io = await playbookIO('pbrunner')
})
afterAll(async () => {
  await redis.cleanup()
  await io.cleanup()
})
beforeEach(() => {
  now = T0
})

function setup(scale = 1) {
  const playbook = parsePlaybook(YAML(`rt${++names}`), 'rt.yaml')
  const queue = new FakeQueueControl()
  queue.now = () => now
  const writer = countingWriter(`${io.flagsFile}.${names}`)
  const options: PlaybookRunnerOptions = {
    playbook,
    pool: io.db.pool,
    writer,
    queue,
    meter: { redis: redis.redis, prefix: redis.prefix },
    timeScale: scale,
    now: () => now,
    actor: 'test-runner',
  }
  return { playbook, queue, writer, options, runner: new PlaybookRunner(options), flags: new FileAdminWriter({ path: `${io.flagsFile}.${names}` }) }
}

const kinds = (events: JournalEvent[]): string[] => events.map((e) => describeEvent(e.body))

describe('playbook runner against MySQL, the meter in Redis, a flags file and a queue control', () => {
  it('runs a playbook through step-back, rollback, approval, drain and retire, journaling every step with both clocks', async () => {
    const { runner, queue, flags, playbook, options } = setup(2)
    const meter = new Meter({ redis: redis.connect(), prefix: redis.prefix, flushIntervalMs: 0, now: () => now })
    const control = { playbook, pool: io.db.pool, by: 'alice', writer: options.writer, queue, now: () => now }
    await runner.start()
    expect(kinds((await runner.tick()).events)).toEqual([
      'r1: entered stage measure', 'r2: entered stage measure',
      'r1: flag off (was no flag)', 'r1: queue gate dedupe (was default)', 'r2: flag off (was no flag)', 'r2: queue gate dedupe (was default)',
    ])
    expect(queue.policies).toEqual({ r1: 'dedupe', r2: 'dedupe' })
    // A 2h hold at time scale 2 is one hour of wall time.
    now = T0 + HOUR - MIN
    expect((await runner.tick()).events).toEqual([])
    now = T0 + HOUR
    expect(kinds((await runner.tick()).events)).toEqual(['r1: entered stage shadow', 'r2: entered stage shadow', 'r1: flag shadow rate 0.5 (was off)', 'r2: flag shadow rate 0.5 (was off)'])
    expect(await flags.getRoute('r1')).toMatchObject({ mode: 'shadow', shadowRate: 0.5 })

    await insertSamples(io.db.pool, 'r1', now + MIN, [{ outcome: 'match' }, { outcome: 'match' }, { outcome: 'mismatch', cause: 'noise' }, { outcome: 'error' }])
    await insertSamples(io.db.pool, 'r2', now + MIN, [{ outcome: 'match' }, { outcome: 'match' }, { outcome: 'mismatch', cause: 'logic' }])
    now = T0 + 2 * HOUR
    const third = await runner.tick()
    expect(kinds(third.events)).toEqual([
      'r1: entered stage canary',
      'r2: gate FAILED in shadow (failure 1): shadowMatchRate: match rate 66.67% over 3 samples (at least 90.00%); logicMismatches: 1 logic mismatches in 3 samples (at most 0)',
      'r2: STEPPED BACK to stage measure',
      'r1: flag canary 20% (was shadow rate 0.5)',
      'r2: flag off (was shadow rate 0.5)',
    ])
    expect(third.readings.find((r) => r.route === 'r1' && r.gate === 'shadowMatchRate')?.figures).toEqual({ compared: 3, matches: 3, matchRate: 1, logic: 0, leaks: 0, errors: 1 })

    // Canary traffic for r1: both paths over the same window.
    for (let i = 0; i < 10; i++) {
      meter.recordRequest({ route: 'r1', shadow: false, durationMs: 5, statusCode: 200, path: 'page', dbCalls: 1, refreshJobs: 0 })
      meter.recordRequest({ route: 'r1', shadow: false, durationMs: 20, statusCode: i === 0 ? 500 : 200, path: 'legacy', dbCalls: 3, refreshJobs: 100 })
    }
    await meter.flush()
    now = T0 + 3 * HOUR
    const fourth = await runner.tick()
    expect(kinds(fourth.events)).toEqual(['r2: entered stage shadow', 'r2: flag shadow rate 0.5 (was off)'])
    expect(fourth.readings.filter((r) => r.route === 'r1').map((r) => [r.gate, r.verdict, r.detail])).toEqual([
      ['errorRate', 'pass', 'page error rate 0.00% vs legacy 10.00%: +0.00% (at most +5.00%)'],
      ['p99', 'pass', expect.stringMatching(/^page p99 5\.\d+ms vs legacy 2\d\.\d+ms: x0\.2\d \(at most x3\)$/)],
      ['manual', 'hold', 'waiting for `cutover playbook approve`'],
    ])
    expect((await approve(control, 'r1')).events.map((e) => e.body)).toEqual([{ kind: 'approved', route: 'r1', stage: 'canary', by: 'alice' }])
    await insertSamples(io.db.pool, 'r2', now + MIN, [{ outcome: 'match' }, { outcome: 'mismatch', cause: 'logic' }, { outcome: 'match' }])
    now = T0 + 3 * HOUR + 10 * MIN
    expect(kinds((await runner.tick()).events)).toEqual([
      'r1: stage canary approved by alice',
      'r1: entered stage on',
      'r2: gate FAILED in shadow (failure 2): shadowMatchRate: match rate 66.67% over 3 samples (at least 90.00%); logicMismatches: 1 logic mismatches in 3 samples (at most 0)',
      'r2: ROLLED BACK to off (second gate failure); it stays off until `cutover playbook resume --route r2` (would re-enter measure)',
      'r1: flag on (was canary 20%)',
      'r1: queue gate drop (was dedupe)',
      'r2: flag off (was shadow rate 0.5)',
      'r2: queue gate default (was dedupe)',
    ])
    expect(queue.policies).toEqual({ r1: 'drop' })

    queue.depth = 40
    queue.lastEnqueueAt = now
    now = T0 + 4 * HOUR + 10 * MIN
    const drain = await runner.tick()
    expect(kinds(drain.events)).toEqual(['r1: done (through on)'])
    now += MIN
    expect(kinds((await runner.tick()).events)).toEqual(['queue: entered stage drain', 'queue: drain from 100/s to 500/s over 3600s (wall)'])
    expect(queue.settings).toMatchObject({ state: 'running', schedule: { from: 100, to: 500, overMs: HOUR, startAt: now } })
    now += MIN
    expect((await runner.tick()).readings).toMatchObject([{ route: null, stage: 'drain', gate: 'queueDepth', verdict: 'hold', figures: { depth: 40, inFlight: 0, streak: 0 } }])
    queue.depth = 0
    now += MIN
    queue.lastEnqueueAt = now - MIN
    expect(kinds((await runner.tick()).events)).toEqual(['queue: entered stage retire', expect.stringMatching(/^queue: retire the queue failed, retried next tick: CUTOVER_ERR_DRAIN_RETIRE_REFUSED: queue not retired/)])
    // A refusal that repeats is journaled once.
    now += MIN
    expect((await runner.tick()).events).toEqual([])
    // 20m on the playbook clock is 10m of wall time at scale 2.
    now = queue.lastEnqueueAt + 10 * MIN
    expect(kinds((await runner.tick()).events)).toEqual(['queue: retired'])
    now += MIN
    expect(kinds((await runner.tick()).events)).toEqual(['playbook completed: 1 route(s) done, rolled back: r2'])
    expect(queue.retired).toBe(true)

    const status = renderStatus(await readStatus(playbook, io.db.pool, now))
    expect(status).toContain('r2: parked')
    expect(status).toContain('ROLLED BACK to off, stays off until `cutover playbook resume --route r2`')
    expect(status).toMatch(/^playbook rt\d+: completed \(time scale 2\)/)
    expect(status).toMatch(/\nqueue: done, stage retire since \S+Z$/)

    const [rows] = await io.db.pool.query<RowDataPacket[]>('SELECT kind, wall_ms, scaled_ms FROM playbook_events WHERE playbook = ? ORDER BY seq', [playbook.name])
    const entered = rows.find((r) => r.kind === 'stage_entered' && Number(r.wall_ms) === T0 + HOUR)
    // Both clocks: an hour of wall time is two on the playbook clock.
    expect(Number(entered?.scaled_ms)).toBe(T0 + 2 * HOUR)
    const [readings] = await io.db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n, COUNT(DISTINCT gate) AS gates FROM playbook_gate_readings WHERE playbook = ?', [playbook.name])
    expect(Number(readings[0]?.gates)).toBe(6)
    await meter.close()
    await runner.stop()
  })

  it('one runner per playbook: a second one is refused with a coded error until the first stops', async () => {
    const { runner, options } = setup()
    await runner.start()
    const second = new PlaybookRunner(options)
    await expect(second.start()).rejects.toMatchObject({ code: 'CUTOVER_ERR_PLAYBOOK_LOCKED', message: expect.stringContaining('already has a runner') })
    await runner.stop()
    await second.start()
    await second.stop()
  })

  it('a runner whose lock connection dropped takes the lock again, unless another runner took it meanwhile', async () => {
    const { runner, options, playbook } = setup()
    await runner.start()
    const [[db]] = await io.db.pool.query<RowDataPacket[]>('SELECT DATABASE() AS db')
    const name = `cutover:playbook:${createHash('sha1').update(`${String(db?.db)}\0${playbook.name}`).digest('hex').slice(0, 32)}:run`
    const killHolder = async (): Promise<void> => {
      const [[holder]] = await io.db.pool.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [name])
      await io.db.pool.query(`KILL CONNECTION ${Number(holder?.id)}`)
    }
    const lockFree = async (): Promise<boolean> => Number((await io.db.pool.query<RowDataPacket[]>('SELECT IS_FREE_LOCK(?) AS free', [name]))[0][0]?.free) === 1
    await killHolder()
    await runner.tick()
    const [[after]] = await io.db.pool.query<RowDataPacket[]>('SELECT IS_USED_LOCK(?) IS NOT NULL AS held', [name])
    expect(Number(after?.held)).toBe(1)
    await killHolder()
    await expect.poll(lockFree).toBe(true)
    const other = new PlaybookRunner(options)
    await other.start()
    await expect(runner.tick()).rejects.toMatchObject({ code: 'CUTOVER_ERR_PLAYBOOK_LOCKED' })
    await other.stop()
    await runner.stop()
  })

  it('a restarted runner keeps the stage and the hold already spent, and confirms a write made before a crash without making it again', async () => {
    const { runner, options, writer, flags, playbook } = setup()
    await runner.start()
    await runner.tick()
    await runner.stop()
    now = T0 + 2 * HOUR
    // What a crash between a flag write and its journal entry leaves: the stage entered, the flag set, no flag_write.
    const journal = new Journal(io.db.pool, playbook.name)
    const b = new PlaybookRunner(options)
    await b.start()
    await journal.append(b.state, [{ kind: 'stage_entered', route: 'r1', stage: 'shadow', reason: 'advance', target: { flag: { mode: 'shadow', shadowRate: 0.5 }, queueGate: 'dedupe' } }], now)
    await flags.setRoute('r1', { mode: 'shadow', shadowRate: 0.5 })
    const sets = writer.sets.length
    const events = (await b.tick()).events.map((e) => e.body)
    expect(events).toEqual<EventBody[]>([
      { kind: 'stage_entered', route: 'r2', stage: 'shadow', reason: 'advance', target: { flag: { mode: 'shadow', shadowRate: 0.5 }, queueGate: 'dedupe' } },
      { kind: 'flag_write', route: 'r1', flag: { mode: 'shadow', shadowRate: 0.5 }, before: { mode: 'shadow', percent: 0, shadowRate: 0.5 }, changed: false },
      { kind: 'flag_write', route: 'r2', flag: { mode: 'shadow', shadowRate: 0.5 }, before: { mode: 'off', percent: 0, shadowRate: 0 }, changed: true },
    ])
    expect(writer.sets.slice(sets)).toEqual(['r2 shadow'])
    const entries = (await journal.load()).filter((e) => e.body.kind === 'stage_entered')
    expect(entries.map((e) => `${(e.body as { route: string }).route}:${(e.body as { stage: string }).stage}`)).toEqual(['r1:measure', 'r2:measure', 'r1:shadow', 'r2:shadow'])
    await b.stop()
  })

  it('pause, resume and rollback from another process land between ticks; rollback writes off at once', async () => {
    const { runner, playbook, options, flags, queue } = setup()
    const control = { playbook, pool: io.db.pool, by: 'bob', writer: options.writer, queue, now: () => now }
    await runner.start()
    await runner.tick()
    expect((await pause(control, null)).events).toHaveLength(1)
    expect((await pause(control, null)).note).toBe('the playbook is paused already')
    now = T0 + 5 * HOUR
    // A tick reports what others journaled since the last one; paused, it decides nothing.
    expect(kinds((await runner.tick()).events)).toEqual(['playbook: paused by bob'])
    expect(renderStatus(await readStatus(playbook, io.db.pool, now))).toMatch(/PAUSED/)
    const rolled = await rollback(control, 'r1')
    expect(rolled.events.map((e) => e.body.kind)).toEqual(['rolled_back', 'flag_write', 'queue_gate_write'])
    expect(await flags.getRoute('r1')).toMatchObject({ mode: 'off' })
    expect(queue.policies).toEqual({ r2: 'dedupe' })
    await expect(resume(control, 'r2')).rejects.toMatchObject({ code: 'CUTOVER_ERR_PLAYBOOK_COMMAND', message: expect.stringContaining('neither paused nor rolled back') })
    await expect(approve(control, 'r2')).rejects.toMatchObject({ code: 'CUTOVER_ERR_PLAYBOOK_COMMAND', message: expect.stringContaining('has no manual gate') })
    await expect(rollback(control, 'zzz')).rejects.toMatchObject({ code: 'CUTOVER_ERR_PLAYBOOK_COMMAND', message: expect.stringContaining('not one the playbook moves') })
    await resume(control, null)
    expect(kinds((await runner.tick()).events)).toEqual([
      'r1: ROLLED BACK to off (by bob); it stays off until `cutover playbook resume --route r1` (would re-enter measure)',
      'r1: flag off (already so)',
      'r1: queue gate default (was dedupe)',
      'playbook: resumed by bob',
      'r2: entered stage shadow',
      'r2: flag shadow rate 0.5 (was off)',
    ])
    expect((await resume(control, 'r1', 'shadow')).events.map((e) => e.body)).toEqual([{ kind: 'resumed', route: 'r1', by: 'bob', stage: 'shadow' }])
    expect(kinds((await runner.tick()).events)).toEqual(['r1: resumed by bob at shadow', 'r1: resumed at stage shadow', 'r1: flag shadow rate 0.5 (was off)', 'r1: queue gate dedupe (was default)'])
    await runner.stop()
  })

  it('says to migrate when the journal\'s tables are missing', async () => {
    const bare = await mysqlForTest('pbbare')
    try {
      const { options } = setup()
      const runner = new PlaybookRunner({ ...options, pool: bare.pool })
      await expect(runner.start()).rejects.toMatchObject({ code: 'CUTOVER_ERR_PLAYBOOK_JOURNAL', message: expect.stringContaining('run `cutover db migrate` first') })
    } finally {
      await bare.cleanup()
    }
  })

  it('refuses to start without the services its gates and actions read', () => {
    const { options } = setup()
    expect(() => new PlaybookRunner({ ...options, queue: undefined })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE' }))
    expect(() => new PlaybookRunner({ ...options, meter: undefined })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID' }))
    expect(() => new PlaybookRunner({ ...options, timeScale: 0 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID' }))
  })

  it('a new journal starts its playbook clock at clockStart and keeps it when the runner restarts', async () => {
    const { options } = setup(60)
    const monday = Date.UTC(2024, 5, 10, 9)
    const first = new PlaybookRunner({ ...options, clockStart: monday })
    const [started] = await first.start()
    expect(started).toMatchObject({ wall: T0, scaled: monday, body: { kind: 'started', scale: 60 } })
    now = T0 + MIN
    await first.tick()
    expect(first.state.routes.get('r1')).toMatchObject({ stage: 'measure', enteredScaled: monday + 60 * MIN })
    await first.stop()
    // A journal that has a clock keeps it: a second clockStart changes nothing.
    now = T0 + 2 * MIN
    const second = new PlaybookRunner({ ...options, clockStart: Date.UTC(2030, 0, 1) })
    const [again] = await second.start()
    expect(again?.scaled).toBe(monday + 2 * 60 * MIN)
    await second.stop()
    expect(() => new PlaybookRunner({ ...options, clockStart: Number.NaN })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID' }))
  })
})
