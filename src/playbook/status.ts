import type mysql from 'mysql2/promise'
import { describeFlag } from './describe.js'
import { formatDuration } from '../duration.js'
import { Journal, type StoredReading } from './journal.js'
import type { Playbook } from './model.js'
import { initialState, scaledAt, type RunState } from './state.js'
import { pendingActions } from './targets.js'

export interface RouteStatus {
  route: string
  status: 'waiting' | 'active' | 'done' | 'parked'
  stage: string | null
  /** Wall epoch ms the stage was entered. */
  since: number | null
  /** Hold left on the playbook clock, and in wall time. */
  holdLeftMs: number | null
  holdLeftWallMs: number | null
  failures: number
  paused: boolean
  flag: string
  parkedBecause: string | null
  lastError: string | null
  readings: StoredReading[]
}

export interface StatusReport {
  playbook: string
  started: boolean
  paused: boolean
  completed: boolean
  scale: number
  routes: RouteStatus[]
  queue: { status: string; stage: string | null; since: number | null; readings: StoredReading[]; lastError: string | null }
  pendingWrites: number
}

/** A run's state from its journal, with the latest gate readings of every current stage. */
export async function readStatus(playbook: Playbook, pool: mysql.Pool, now: number = Date.now()): Promise<StatusReport> {
  const journal = new Journal(pool, playbook.name)
  const state: RunState = initialState(playbook.name)
  await journal.catchUp(state)
  const scaledNow = scaledAt(state.clock, now)
  const scale = state.clock?.scale ?? 1
  const routes: RouteStatus[] = []
  for (const r of state.routes.values()) {
    const stage = playbook.stages.find((s) => s.name === r.stage)
    const left = r.status === 'active' && stage ? Math.max(0, stage.holdMs - (scaledNow - r.enteredScaled)) : null
    routes.push({
      route: r.route,
      status: r.status,
      stage: r.stage ?? null,
      since: r.stage === undefined ? null : r.enteredWall,
      holdLeftMs: left,
      holdLeftWallMs: left === null ? null : left / scale,
      failures: r.failures,
      paused: r.paused,
      flag: describeFlag(r.written.flag),
      parkedBecause: r.parkedBecause ?? null,
      lastError: r.lastError ?? null,
      readings: r.status === 'active' && r.stage !== undefined ? await journal.latestReadings(r.route, r.stage, r.enteredWall) : [],
    })
  }
  const q = state.queue
  return {
    playbook: playbook.name,
    started: state.clock !== undefined,
    paused: state.paused,
    completed: state.completed,
    scale,
    routes,
    queue: {
      status: q.status,
      stage: q.stage ?? null,
      since: q.stage === undefined ? null : q.enteredWall,
      readings: q.status === 'active' && q.stage !== undefined ? await journal.latestReadings(null, q.stage, q.enteredWall) : [],
      lastError: q.lastError ?? null,
    },
    pendingWrites: pendingActions(state).length,
  }
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z'))

function routeLines(r: RouteStatus): string[] {
  const where = r.stage === null ? 'not started' : `stage ${r.stage} since ${iso(r.since)}`
  const hold = r.holdLeftMs === null ? '' : r.holdLeftMs > 0 ? `, hold ${formatDuration(r.holdLeftMs)} left (${formatDuration(r.holdLeftWallMs ?? 0)} wall)` : ', hold spent'
  const lines = [`${r.route}: ${r.status}${r.paused ? ' (paused)' : ''}, ${where}${hold}, flag ${r.flag}, failures ${r.failures}`]
  if (r.status === 'parked') lines.push(`  ROLLED BACK to off, stays off until \`cutover playbook resume --route ${r.route}\`: ${r.parkedBecause ?? ''}`)
  for (const g of r.readings) lines.push(`  ${g.verdict.padEnd(4)} ${g.gate}: ${g.detail}`)
  if (r.lastError) lines.push(`  write failing: ${r.lastError}`)
  return lines
}

export function renderStatus(s: StatusReport): string {
  const head = `playbook ${s.playbook}: ${!s.started ? 'not started' : s.completed ? 'completed' : s.paused ? 'PAUSED' : 'running'}${s.scale !== 1 ? ` (time scale ${s.scale})` : ''}`
  const lines = [head]
  for (const r of s.routes) lines.push(...routeLines(r))
  if (s.queue.stage !== null) {
    lines.push(`queue: ${s.queue.status}, stage ${s.queue.stage} since ${iso(s.queue.since)}`)
    for (const g of s.queue.readings) lines.push(`  ${g.verdict.padEnd(4)} ${g.gate}: ${g.detail}`)
    if (s.queue.lastError) lines.push(`  write failing: ${s.queue.lastError}`)
  }
  if (s.pendingWrites > 0) lines.push(`${s.pendingWrites} write(s) not confirmed yet: the next tick (or rollback) makes them`)
  return lines.join('\n')
}
