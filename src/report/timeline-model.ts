// The timeline report of a cutover run: what the playbook journal says
// happened (stages, gate decisions), what the meter and the shadow tables
// measured meanwhile (sampled over time), the queue's depth and drain rate,
// the shadow findings by cause, a before/after summary, and delivery figures
// in the DORA sense computed from the journal. Pure: the demo gathers the
// data, the renderers (timeline-html.ts, timeline-markdown.ts) print it.
import type { AmplificationSnapshot } from './amplification.js'

/**
 * A journal event as the timeline reads it: the playbook journal's events
 * (src/playbook/events.ts) fit this shape; the report layer sits below the
 * playbook's and reads only these fields.
 */
export interface TimelineEvent {
  seq: number
  wall: number
  scaled: number
  body: {
    kind: string
    route?: string | null
    stage?: string | null
    reason?: string
    gates?: readonly string[]
    detail?: string
    flag?: { mode: string }
  }
}
type JournalEvent = TimelineEvent
type EventBody = TimelineEvent['body']

/** One route's figures over one sampling interval. Ratios are null when nothing was measured. */
export interface RoutePoint {
  requests: number
  dbCallsPerRequest: number | null
  p50Ms: number | null
  p99Ms: number | null
  hitRatio: number | null
  /** Shadow samples compared in the interval, and the share that matched (noise counts as a match). */
  compared: number
  matchRate: number | null
}

export interface TimelineSample {
  /** End of the interval, wall epoch ms. */
  at: number
  routes: Record<string, RoutePoint>
  queue: { depth: number; drainRate: number }
}

/** A span of gate readings that held, per route, stage stay and gate. */
export interface HoldSpan {
  route: string | null
  stage: string
  gate: string
  from: number
  to: number
  detail: string
}

export interface Finding {
  cause: string
  count: number
  example?: { route: string; url: string; at: number; patch: string | null; shape: string }
}

/** The summary phases, with DB calls per request from MySQL's own counter (Com_select delta / requests). */
export interface SummaryPhase {
  snapshot: AmplificationSnapshot
  /** Com_select over the window (global to the server: other clients count too). */
  comSelect: number
  comSelectPerRequest: number | null
}

export interface TimelineData {
  title: string
  generatedAt: string
  playbook: string
  faults: boolean
  timeScale: number
  /** Wall epoch ms the run's load started and ended; `clockAt` is the playbook clock at `startedAt`. */
  startedAt: number
  endedAt: number
  routes: string[]
  samples: TimelineSample[]
  events: JournalEvent[]
  holds: HoldSpan[]
  findings: Finding[]
  before: SummaryPhase
  after: SummaryPhase
  /** What the scripted story expected, each check with whether it happened. */
  story: Array<{ ok: boolean; text: string }>
  /** Jobs the drainer refreshed. */
  drained: number
}

/** A mark on a route's time axis. */
export interface Decision {
  at: number
  scaled: number
  route: string | null
  stage: string | null
  kind: 'passed' | 'failed' | 'stepped back' | 'rolled back' | 'done' | 'retired'
  detail: string
}

/** Stage stays of a route (or of the queue, route null), wall ms. */
export interface StageSpan {
  route: string | null
  stage: string
  from: number
  to: number
  /** Why it began: start, advance, step_back, resume, rollback. */
  reason: string
}

const routeOf = (b: EventBody): string | null => (typeof b.route === 'string' ? b.route : null)
const stageOf = (b: EventBody): string => (typeof b.stage === 'string' ? b.stage : '')

/** Gate decisions from the journal, in order. */
export function decisions(events: readonly JournalEvent[]): Decision[] {
  const out: Decision[] = []
  for (const e of events) {
    const b = e.body
    const mark = (kind: Decision['kind'], stage: string | null, detail: string): void => {
      out.push({ at: e.wall, scaled: e.scaled, route: routeOf(b), stage, kind, detail })
    }
    const stage = stageOf(b)
    if (b.kind === 'stage_entered' && b.reason === 'advance') mark('passed', stage, `gates passed: entered ${stage}`)
    else if (b.kind === 'stage_entered' && b.reason === 'step_back') mark('stepped back', stage, `stepped back to ${stage}`)
    else if (b.kind === 'gate_failed') mark('failed', stage, `${(b.gates ?? []).join(', ')} failed in ${stage}: ${b.detail ?? ''}`)
    else if (b.kind === 'rolled_back') mark('rolled back', stage, `rolled back to off: ${b.detail ?? ''}`)
    else if (b.kind === 'route_done') mark('done', stage, `through every stage after ${stage}`)
    else if (b.kind === 'queue_stage_entered') mark('passed', stage, `queue entered ${stage}`)
    else if (b.kind === 'retired') mark('retired', 'retire', 'the refresh queue was retired')
  }
  return out
}

/** Each route's (and the queue's) stage stays, ending at the next entry or at `end`. */
export function stageSpans(events: readonly JournalEvent[], end: number): StageSpan[] {
  const open = new Map<string | null, StageSpan>()
  const out: StageSpan[] = []
  const begin = (route: string | null, stage: string, at: number, reason: string): void => {
    const current = open.get(route)
    if (current) current.to = at
    const span = { route, stage, from: at, to: end, reason }
    open.set(route, span)
    out.push(span)
  }
  for (const e of events) {
    const b = e.body
    const route = routeOf(b)
    if (b.kind === 'stage_entered') begin(route, stageOf(b), e.wall, b.reason ?? '')
    else if (b.kind === 'rolled_back') begin(route, 'off (rolled back)', e.wall, 'rollback')
    else if (b.kind === 'route_done') begin(route, 'done', e.wall, 'done')
    else if (b.kind === 'queue_stage_entered') begin(null, stageOf(b), e.wall, 'advance')
    else if (b.kind === 'completed') begin(null, 'complete', e.wall, 'done')
  }
  return out
}

export interface RouteDelivery {
  route: string
  stagesEntered: number
  promoted: number
  failures: number
  /** From first shadow to on, on the playbook clock and the wall clock (ms); null when it never got there. */
  leadTimeScaledMs: number | null
  leadTimeWallMs: number | null
}

export interface Delivery {
  routes: RouteDelivery[]
  stagesEntered: number
  promoted: number
  /** Stages stepped back or rolled back over stages entered. */
  changeFailureRate: number | null
  /** From each failed gate to the flag write that put the route back on its last good mode. */
  restores: Array<{ route: string; scaledMs: number; wallMs: number }>
}

/** Delivery figures in the DORA sense, from the journal alone. */
export function delivery(events: readonly JournalEvent[], routes: readonly string[]): Delivery {
  const per = new Map(routes.map((r) => [r, { route: r, stagesEntered: 0, promoted: 0, failures: 0, leadTimeScaledMs: null, leadTimeWallMs: null } as RouteDelivery]))
  const firstShadow = new Map<string, JournalEvent>()
  const restores: Delivery['restores'] = []
  const failedAt = new Map<string, JournalEvent>()
  for (const e of events) {
    const b = e.body
    const route = routeOf(b)
    const d = route === null ? undefined : per.get(route)
    if (!d || route === null) continue
    if (b.kind === 'stage_entered') {
      d.stagesEntered++
      if (b.reason === 'advance') d.promoted++
    } else if (b.kind === 'gate_failed') {
      d.failures++
      failedAt.set(route, e)
    } else if (b.kind === 'flag_write' && b.flag) {
      if (b.flag.mode === 'shadow' && !firstShadow.has(route)) firstShadow.set(route, e)
      const shadowed = firstShadow.get(route)
      if (b.flag.mode === 'on' && shadowed && d.leadTimeWallMs === null) {
        d.leadTimeScaledMs = e.scaled - shadowed.scaled
        d.leadTimeWallMs = e.wall - shadowed.wall
      }
      const failed = failedAt.get(route)
      if (failed) {
        restores.push({ route, scaledMs: e.scaled - failed.scaled, wallMs: e.wall - failed.wall })
        failedAt.delete(route)
      }
    }
  }
  const list = [...per.values()]
  const stagesEntered = list.reduce((n, r) => n + r.stagesEntered, 0)
  const failures = list.reduce((n, r) => n + r.failures, 0)
  return {
    routes: list,
    stagesEntered,
    promoted: list.reduce((n, r) => n + r.promoted, 0),
    changeFailureRate: stagesEntered > 0 ? failures / stagesEntered : null,
    restores,
  }
}

/** The playbook clock at a wall time, from the journal's own pairs of clocks. */
export function scaledAtWall(events: readonly JournalEvent[], wall: number, scale: number): number {
  let ref: JournalEvent | undefined
  for (const e of events) if (e.wall <= wall) ref = e
  ref ??= events[0]
  return ref ? ref.scaled + (wall - ref.wall) * scale : wall
}
