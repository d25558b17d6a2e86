import type { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { openDemoRedis } from '../../demo/services.js'
import type { FlagAdminWriter } from '../../flags/admin-writer.js'
import type { ControlOptions, ControlResult } from '../../playbook/control.js'
import { describeEvent } from '../../playbook/describe.js'
import type { JournalEvent } from '../../playbook/events.js'
import type { Playbook } from '../../playbook/model.js'
import { loadPlaybook } from '../../playbook/parse.js'
import type { PlaybookQueueControl } from '../../playbook/queue-control.js'
import { createQueueControl } from '../../queue/control.js'
import type { MeterSource } from '../../playbook/readings.js'
import { PlaybookRunner, type TickReport } from '../../playbook/runner.js'
import type { CliIO } from '../command.js'
import { actor, clockStamp, type JournalValues, type ServiceValues } from '../playbook-services.js'

export { loadPlaybook }

export function openJournalPool(values: Pick<JournalValues, 'db'>): mysql.Pool {
  return mysql.createPool({ uri: values.db, connectionLimit: 4 })
}

export function meterOf(values: ServiceValues, redis: Redis): MeterSource {
  return { redis, prefix: values['meter-prefix'], bucketSeconds: values['bucket-seconds'] }
}

/** The refresh queue's control plane for the runner (src/queue/control.ts): every setting lives in Redis. */
export async function queueControlFor(redis: Redis, values: ServiceValues): Promise<PlaybookQueueControl> {
  const names = { redis, prefix: values['queue-prefix'], name: values['queue-name'] }
  if (values['queue-driver'] === 'list') return createQueueControl(names)
  // Loaded only for a BullMQ queue: bullmq is an optional peer dependency.
  const { BullmqRefreshQueue } = await import('../../queue/bullmq-queue.js')
  return createQueueControl({ ...names, queue: new BullmqRefreshQueue(names) })
}

const TRAFFIC = new Set(['errorRate', 'p99', 'dbCallsPerRequest'])

/** Whether the playbook reads the meter or acts on the queue (both in Redis). */
export function needsRedis(playbook: Playbook): boolean {
  return playbook.usesQueue || playbook.stages.some((s) => s.gates.some((g) => TRAFFIC.has(g.kind)))
}

export function openRedis(values: ServiceValues): Promise<Redis> {
  return openDemoRedis(values['redis-url'], '--redis-url (or REDIS_URL)')
}

/** Opens the journal, runs a person's command on the playbook, prints what it journaled. */
export async function runControl(
  file: string,
  values: JournalValues,
  io: CliIO,
  command: (options: ControlOptions) => Promise<ControlResult>,
  extra: Partial<ControlOptions> = {},
): Promise<number> {
  const playbook = await loadPlaybook(file)
  const pool = openJournalPool(values)
  try {
    const result = await command({ playbook, pool, by: actor(values, io.env), ...extra })
    if (result.note !== undefined) io.out(result.note)
    for (const e of result.events) io.out(describeEvent(e.body))
    return result.events.some((e) => e.body.kind === 'action_failed') ? 1 : 0
  } finally {
    await pool.end()
  }
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true })
  })

function printer(io: CliIO, json: boolean, scale: number): (events: JournalEvent[]) => void {
  return (events) => {
    for (const e of events) io.out(json ? JSON.stringify(e) : `${clockStamp(e.wall, e.scaled, scale)} ${describeEvent(e.body)}`)
  }
}

/** The default tick: 30s of wall time, shorter when the clock runs faster (at least 200ms). */
const defaultInterval = (scale: number): number => Math.max(200, Math.min(30_000, Math.round(30_000 / scale)))

interface Loop {
  runner: PlaybookRunner
  print: (events: JournalEvent[]) => void
  intervalMs: number
  io: CliIO
  signal: AbortSignal
}

/** Ticks until the playbook completes or a signal stops it; a failed tick is reported (once while it repeats) and retried. */
async function loop(l: Loop): Promise<TickReport | undefined> {
  let lastError = ''
  let last: TickReport | undefined
  let told = false
  while (!l.signal.aborted) {
    try {
      last = await l.runner.tick()
      lastError = ''
      l.print(last.events)
      if (last.routes.length === 0 && last.state.routes.size === 0 && !told) {
        l.io.err(`no route matches ${l.runner.playbook.routes.match.join(', ')} yet; waiting for one (cutover flags create <id> adds a flag)`)
        told = true
      }
      if (last.state.completed) return last
    } catch (err) {
      const e = err as Error & { code?: string }
      if (e.code === 'CUTOVER_ERR_PLAYBOOK_LOCKED') throw err
      const text = `${e.code ? e.code + ': ' : ''}${e.message}`
      if (text !== lastError) l.io.err(`tick failed (retrying every ${l.intervalMs}ms): ${text}`)
      lastError = text
    }
    await sleep(l.intervalMs, l.signal)
  }
  return last
}

export interface ApplyRequest {
  file: string
  journal: JournalValues
  services: ServiceValues
  writer: FlagAdminWriter
  once: boolean
  json: boolean
  intervalMs: number | undefined
  timeScale: number
}

/** `cutover playbook apply`: 0 completed with every route through (or --once, or stopped), 1 a route was rolled back. */
export async function apply(r: ApplyRequest, io: CliIO): Promise<number> {
  const playbook = await loadPlaybook(r.file)
  const redis = needsRedis(playbook) ? await openRedis(r.services) : undefined
  const pool = openJournalPool(r.journal)
  let runner: PlaybookRunner | undefined
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  try {
    runner = new PlaybookRunner({
      playbook,
      pool,
      writer: r.writer,
      queue: redis && playbook.usesQueue ? await queueControlFor(redis, r.services) : undefined,
      meter: redis ? meterOf(r.services, redis) : undefined,
      timeScale: r.timeScale,
      actor: `runner:${actor(r.journal, io.env)}`,
    })
    const print = printer(io, r.json, runner.timeScale)
    print(await runner.start())
    if (r.once) {
      print((await runner.tick()).events)
      return 0
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const last = await loop({ runner, print, intervalMs: r.intervalMs ?? defaultInterval(runner.timeScale), io, signal: stop.signal })
    if (!last?.state.completed) return 0
    const parked = [...last.state.routes.values()].filter((route) => route.status === 'parked')
    return parked.length > 0 ? 1 : 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await runner?.stop()
    await pool.end()
    redis?.disconnect()
  }
}
