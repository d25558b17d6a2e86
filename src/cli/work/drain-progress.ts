// How `cutover drain` shows its work: a progress bar redrawn in place on a
// terminal, JSON lines otherwise (or with --json).
import type { DrainProgress } from '../../queue/drainer-events.js'
import type { CliIO } from '../command.js'
import type { DrainEvent } from './drain.js'

const n = (value: number): string => Math.round(value).toLocaleString('en-US')

/** `41s`, `12m 5s`, `3h 20m`; `?` when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '?'
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`
}

/** One progress line: bar, share done of what there was at the start, jobs left, rate, ETA. */
export function progressLine(p: DrainProgress, startDepth: number, width = 24): string {
  const total = Math.max(startDepth, p.depth, 1)
  const done = Math.min(1, Math.max(0, (total - p.depth) / total))
  const filled = Math.round(done * width)
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
  const target = p.factor < 1 ? `target ${n(p.targetRate)}/s x${p.factor.toFixed(2)}` : `target ${n(p.targetRate)}/s`
  const parts = [
    `${bar} ${(done * 100).toFixed(1)}%`,
    `${n(p.depth)} left`,
    `${n(p.drainRate)}/s (${target})`,
    `ETA ${formatEta(p.etaSeconds)}`,
  ]
  if (p.drainers > 1) parts.push(`${p.drainers} drainers`)
  if (p.deadLetters > 0) parts.push(`${n(p.deadLetters)} dead`)
  if (p.state !== 'running' && p.state !== 'idle') parts.push(p.state)
  if (p.pressure) parts.push(`backing off: ${p.pressure}`)
  return parts.join('  ')
}

/** The JSON line of an event (what a program reading the output gets). */
export function eventJson(event: DrainEvent): string {
  switch (event.type) {
    case 'fault': {
      const e = event.fault.error as { message?: string; code?: string } | undefined
      return JSON.stringify({ event: 'fault', kind: event.fault.kind, message: e?.message ?? String(e), code: e?.code, retryInMs: event.fault.retryInMs })
    }
    case 'progress': {
      const { settings: _settings, ...rest } = event.progress
      return JSON.stringify({ event: 'progress', ...rest })
    }
    case 'start':
      return JSON.stringify({ event: 'start', ...event.status })
    case 'done':
      return JSON.stringify({ event: 'done', ...event.result })
    case 'retired':
      return JSON.stringify({ event: 'retired', ...event.result })
  }
}

function doneLine(event: Extract<DrainEvent, { type: 'done' }>): string {
  const t = event.result.totals
  const jobs = t.refreshed + t.superseded
  const perJob = jobs > 0 ? ` (${(t.queries / jobs).toFixed(3)} per job)` : ''
  return `${event.result.reason === 'empty' ? 'drained' : 'stopped after'} ${n(jobs)} jobs in ${(event.result.durationMs / 1000).toFixed(1)} s: ` +
    `${n(t.refreshed)} refreshed, ${n(t.superseded)} superseded, ${n(t.deadLettered)} dead-lettered, ${n(t.retried)} retried; ${n(t.queries)} refreshMany calls${perJob}`
}

/** A renderer for the events of one run: redraws a bar on a terminal, writes JSON lines otherwise. */
export function drainRenderer(io: CliIO, json: boolean): (event: DrainEvent) => void {
  if (json || !io.isTTY) return (event) => io.out(eventJson(event))
  let startDepth = 0
  let barShown = false
  // Cursor up one line and clear it: the bar is redrawn where it was.
  const redraw = '\x1b[1A\x1b[2K'
  const line = (text: string): void => {
    io.out(text)
    barShown = false
  }
  return (event) => {
    if (event.type === 'start') {
      startDepth = event.status.depth
      const s = event.status.settings
      const rate = s.schedule ? `${n(s.schedule.from)} -> ${n(s.schedule.to)}/s over ${formatEta(s.schedule.overMs / 1000)}` : s.rate !== undefined ? `${n(s.rate)}/s` : 'the drainer\'s default rate'
      line(`draining: ${n(event.status.depth)} jobs, ${n(event.status.deadLetters)} dead letters, rate ${rate}`)
    } else if (event.type === 'progress') {
      io.out(`${barShown ? redraw : ''}${progressLine(event.progress, startDepth)}`)
      barShown = true
    } else if (event.type === 'fault') {
      const e = event.fault.error as { message?: string } | undefined
      const what = event.fault.kind === 'redis' ? 'Redis unreachable' : 'MySQL unreachable (batch given back)'
      line(`${what}: ${e?.message ?? String(e)}; retrying in ${(event.fault.retryInMs / 1000).toFixed(1)} s`)
    } else if (event.type === 'done') {
      line(doneLine(event))
    } else {
      line(`retired the queue (its keys are gone; ${n(event.result.deadLetters)} dead letters kept)`)
    }
  }
}
