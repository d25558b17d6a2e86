// What a person does to a run: approve a manual gate, pause, resume, roll
// back. Each is journaled under the journal lock, so it lands between two of
// a runner's ticks, never inside one. A rollback also writes the flags at
// once: it must not wait for the next tick (or for cron).

import type mysql from 'mysql2/promise'
import { CUTOVER_ERR_PLAYBOOK_COMMAND } from '../errors.js'
import type { FlagAdminWriter } from '../flags/admin-writer.js'
import type { EventBody, JournalEvent } from './events.js'
import { Journal } from './journal.js'
import { withJournalLock } from './locks.js'
import type { Playbook, Stage } from './model.js'
import type { PlaybookQueueControl } from './queue-control.js'
import { resolveRoutes } from './routes.js'
import { carryOutPending } from './runner.js'
import { initialState, type RouteProgress, type RunState } from './state.js'
import { rollbackTarget } from './targets.js'

export interface ControlOptions {
  playbook: Playbook
  pool: mysql.Pool
  /** Who acts, for the journal. */
  by: string
  /** Needed by rollback, which writes flags at once. */
  writer?: FlagAdminWriter | undefined
  queue?: PlaybookQueueControl | undefined
  now?: () => number
  /** @default 30 */
  journalLockTimeoutS?: number
}

export interface ControlResult {
  events: JournalEvent[]
  state: RunState
  /** Set when nothing needed doing (already paused, already parked). */
  note?: string
}

type Decision = { bodies: EventBody[]; note?: string }

async function act(o: ControlOptions, decideFor: (state: RunState) => Decision, writes = false): Promise<ControlResult> {
  const journal = new Journal(o.pool, o.playbook.name)
  const now = o.now ?? Date.now
  return withJournalLock(o.pool, o.playbook.name, o.journalLockTimeoutS ?? 30, async () => {
    const state = initialState(o.playbook.name)
    await journal.catchUp(state)
    const { bodies, note } = decideFor(state)
    const events = await journal.append(state, bodies, now())
    if (writes && o.writer) events.push(...(await carryOutPending(journal, state, { writer: o.writer, queue: o.queue }, now)))
    return { events, state, ...(note !== undefined ? { note } : {}) }
  })
}

function refuse(o: ControlOptions, what: string, why: string): never {
  throw new CUTOVER_ERR_PLAYBOOK_COMMAND(o.playbook.name, what, why)
}

function routeIn(o: ControlOptions, state: RunState, route: string, what: string): RouteProgress | undefined {
  if (!state.routes.has(route) && !resolveRoutes(o.playbook.routes, [route]).includes(route)) refuse(o, what, `route "${route}" is not one the playbook moves`)
  return state.routes.get(route)
}

function stageIn(o: ControlOptions, name: string, what: string, scope: Stage['scope']): Stage {
  const stage = o.playbook.stages.find((s) => s.name === name && s.scope === scope)
  if (!stage) refuse(o, what, `no ${scope} stage "${name}"; ${scope} stages are: ${o.playbook.stages.filter((s) => s.scope === scope).map((s) => s.name).join(', ')}`)
  return stage
}

/** Approves a manual gate: of the route's current stage (or `stage`), or of the queue's (route null). */
export function approve(o: ControlOptions, route: string | null, stage?: string): Promise<ControlResult> {
  const what = `approve ${route ?? 'the queue'}`
  return act(o, (state) => {
    const current = route === null ? state.queue.stage : routeIn(o, state, route, what)?.stage
    const name = stage ?? current ?? refuse(o, what, `${route ?? 'the queue'} is in no stage yet; name one with --stage`)
    const s = stageIn(o, name, what, route === null ? 'queue' : 'route')
    if (!s.gates.some((g) => g.kind === 'manual')) refuse(o, what, `stage "${s.name}" has no manual gate`)
    return { bodies: [{ kind: 'approved', route, stage: s.name, by: o.by }] }
  })
}

/** Pauses the whole playbook (route null) or one route: no advance, no step-back, until resumed. */
export function pause(o: ControlOptions, route: string | null): Promise<ControlResult> {
  return act(o, (state) => {
    const paused = route === null ? state.paused : routeIn(o, state, route, `pause ${route}`)?.paused === true
    if (paused) return { bodies: [], note: `${route ?? 'the playbook'} is paused already` }
    return { bodies: [{ kind: 'paused', route, by: o.by }] }
  })
}

/**
 * Resumes the playbook (route null), or a route: a paused one carries on; a
 * rolled-back one is entered again at `stage`, by default the stage before
 * the one it was rolled back from, with its failures forgotten.
 */
export function resume(o: ControlOptions, route: string | null, stage?: string): Promise<ControlResult> {
  return act(o, (state) => {
    if (route === null) {
      if (stage !== undefined) refuse(o, 'resume', '--stage goes with --route')
      return state.paused ? { bodies: [{ kind: 'resumed', route: null, by: o.by }] } : { bodies: [], note: 'the playbook is not paused' }
    }
    const what = `resume ${route}`
    const r = routeIn(o, state, route, what)
    if (stage !== undefined) stageIn(o, stage, what, 'route')
    if (r?.status === 'parked') return { bodies: [{ kind: 'resumed', route, by: o.by, ...(stage !== undefined ? { stage } : {}) }] }
    if (stage !== undefined) refuse(o, what, `--stage is for a rolled-back route; "${route}" is ${r?.status ?? 'waiting'}`)
    if (r?.paused) return { bodies: [{ kind: 'resumed', route, by: o.by }] }
    return refuse(o, what, `route "${route}" is neither paused nor rolled back (it is ${r?.status ?? 'waiting to start'})`)
  })
}

function rollbackBody(o: ControlOptions, r: RouteProgress): EventBody {
  const routeStages = o.playbook.stages.slice(0, o.playbook.firstQueueStage)
  const at = Math.max(0, routeStages.findIndex((s) => s.name === r.stage))
  const resumeAt = (routeStages[Math.max(0, at - 1)] ?? routeStages[0]) as Stage
  return { kind: 'rolled_back', route: r.route, stage: r.stage ?? null, reason: 'manual', by: o.by, resumeAt: resumeAt.name, detail: `rolled back by ${o.by}`, target: rollbackTarget(o.playbook) }
}

/**
 * Rolls routes back to off at once (any time, paused or not, inside a window
 * or not) and parks them until resumed: one route, or every started one (route null).
 */
export function rollback(o: ControlOptions, route: string | null): Promise<ControlResult> {
  if (!o.writer) refuse(o, 'roll back', 'it needs the flag target (--file or --unleash-url)')
  return act(
    o,
    (state) => {
      const started = (r: RouteProgress | undefined): r is RouteProgress => r !== undefined && r.stage !== undefined && r.status !== 'parked'
      if (route !== null) {
        const r = routeIn(o, state, route, `roll back ${route}`)
        if (r?.status === 'parked') return { bodies: [], note: `${route} is rolled back already (off until resumed)` }
        if (!started(r)) refuse(o, `roll back ${route}`, `route "${route}" has not started`)
        return { bodies: [rollbackBody(o, r)] }
      }
      const bodies = [...state.routes.values()].filter(started).map((r) => rollbackBody(o, r))
      return bodies.length > 0 ? { bodies } : { bodies, note: 'no started route to roll back' }
    },
    true,
  )
}
