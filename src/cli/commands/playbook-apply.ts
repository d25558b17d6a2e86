import type { Redis } from 'ioredis'
import type mysql from 'mysql2/promise'
import { describeEvent } from '../../playbook/describe.js'
import type { JournalEvent } from '../../playbook/events.js'
import type { Playbook } from '../../playbook/model.js'
import { PlaybookRunner, type TickReport } from '../../playbook/runner.js'
import { parseOptionsAndArguments, type CliCommand, type CliIO } from '../command.js'
import { targetHelp, targetOptions, writerFor } from '../flags-target.js'
import {
  actor,
  clockStamp,
  durationOption,
  journalHelp,
  journalOptions,
  meterOf,
  needsRedis,
  openJournalPool,
  openRedis,
  playbookArgument,
  queueControlFor,
  serviceHelp,
  serviceOptions,
  timeScaleOption,
} from '../playbook-services.js'

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

function runnerFor(playbook: Playbook, values: ApplyValues, io: CliIO, services: { pool: mysql.Pool; redis: Redis | undefined }): PlaybookRunner {
  const { pool, redis } = services
  return new PlaybookRunner({
    playbook,
    pool,
    writer: writerFor(values, io.env),
    queue: redis && playbook.usesQueue ? queueControlFor(redis, values) : undefined,
    meter: redis ? meterOf(values, redis) : undefined,
    timeScale: timeScaleOption(values['time-scale']),
    actor: `runner:${actor(values, io.env)}`,
  })
}

async function applyWith(playbook: Playbook, values: ApplyValues, io: CliIO, redis: Redis | undefined): Promise<number> {
  const pool = openJournalPool(values, io.env)
  let runner: PlaybookRunner | undefined
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  try {
    runner = runnerFor(playbook, values, io, { pool, redis })
    const print = printer(io, values.json === true, runner.timeScale)
    print(await runner.start())
    if (values.once) {
      print((await runner.tick()).events)
      return 0
    }
    process.once('SIGINT', onSignal)
    process.once('SIGTERM', onSignal)
    const intervalMs = durationOption('interval', values.interval, defaultInterval(runner.timeScale))
    const last = await loop({ runner, print, intervalMs, io, signal: stop.signal })
    if (!last?.state.completed) return 0
    const parked = [...last.state.routes.values()].filter((r) => r.status === 'parked')
    return parked.length > 0 ? 1 : 0
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    await runner?.stop()
    await pool.end()
  }
}

type ApplyValues = Parameters<typeof writerFor>[0] & {
  db?: string | undefined
  by?: string | undefined
  once?: boolean | undefined
  json?: boolean | undefined
  interval?: string | undefined
  'time-scale'?: string | undefined
  'redis-url'?: string | undefined
  'meter-prefix'?: string | undefined
  'bucket-seconds'?: string | undefined
  'queue-prefix'?: string | undefined
  'queue-name'?: string | undefined
}

export const playbookApply: CliCommand = {
  name: ['playbook', 'apply'],
  summary: 'run a playbook: a controller that ticks until it completes (or --once, for cron)',
  help: `usage: cutover playbook apply <playbook.yaml> [--once] [--interval 30s] [--time-scale N] [--json]
                              [--db URL] [target] [--redis-url URL ...]

Applies the playbook: each tick reads the journal and the gates' figures,
enters the stages whose hold is spent and whose gates pass (inside their
window), steps a route back one stage on a failed gate and rolls it back to
off on a second failure, and makes the flag and queue writes, each journaled.
One runner per playbook: a second is refused (CUTOVER_ERR_PLAYBOOK_LOCKED).
A runner that is stopped or killed and started again carries on where the
journal says, holds as spent as they were.

  --once            one tick, then exit (for cron: e.g. every minute)
  --interval D      time between ticks, wall clock (default 30s, divided by
                    the time scale, at least 200ms)
  --time-scale N    holds and windows run N times faster (a week in minutes
                    for a demo); the journal records both clocks
  --json            journal events as JSON lines
${journalHelp}
${serviceHelp}
  (Redis is opened only when the playbook has traffic gates or queue steps)

${targetHelp}

Exit codes: 0 the playbook completed with every route through (or --once
ticked, or SIGINT/SIGTERM stopped it between ticks), 1 it completed with a
route rolled back, or failed, 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, {
      ...targetOptions,
      ...journalOptions,
      ...serviceOptions,
      once: { type: 'boolean' },
      json: { type: 'boolean' },
      interval: { type: 'string' },
      'time-scale': { type: 'string' },
    })
    const playbook = await playbookArgument(positionals)
    timeScaleOption(values['time-scale'])
    durationOption('interval', values.interval, 1)
    const redis = needsRedis(playbook) ? await openRedis(values, io.env) : undefined
    try {
      return await applyWith(playbook, values, io, redis)
    } finally {
      redis?.disconnect()
    }
  },
}
