// The stage machine: what one tick decides, as a pure function of the
// playbook, the run's state (folded from the journal), the readings and the
// clock. The runner journals what it returns and then carries it out.

import type { EventBody, GateReading } from './events.js'
import { evaluateGate, type GateResult, type QueueReading, type RouteReadings } from './gates.js'
import type { Playbook, Stage } from './model.js'
import { newRoute, scaledAt, type RouteProgress, type RunState } from './state.js'
import { queuePending, queueTarget, rollbackTarget, routePending, routeTarget, stageNamed } from './targets.js'
import { inWindow } from './window.js'

export interface Readings {
  routes: ReadonlyMap<string, RouteReadings>
  queue?: QueueReading | undefined
}

export interface TickInput {
  playbook: Playbook
  state: RunState
  /** Route ids the playbook's `routes` resolve to now, in order. */
  routes: readonly string[]
  readings: Readings
  /** Epoch ms of the machine's clock. */
  wall: number
  /** Queue-depth streaks from the last tick (volatile: a restarted runner counts again). */
  streaks: ReadonlyMap<string, number>
}

export interface TickResult {
  events: EventBody[]
  readings: GateReading[]
  streaks: Map<string, number>
}

interface Tick extends TickInput {
  scaled: number
  out: TickResult
}

const streakKey = (route: string | null, stage: string, gate: string): string => `${route ?? '*'}|${stage}|${gate}`

/** The runner's view of every route: journaled ones, then new ones from `routes`, in `routes` order first. */
export function routesInOrder(state: RunState, routes: readonly string[], first: string | undefined): RouteProgress[] {
  const out: RouteProgress[] = []
  for (const id of routes) out.push(state.routes.get(id) ?? newRoute(id, first))
  for (const [id, r] of state.routes) if (!routes.includes(id)) out.push(r)
  return out
}

function gates(t: Tick, route: string | null, stage: Stage, input: Omit<Parameters<typeof evaluateGate>[1], 'streak'>): GateResult[] {
  return stage.gates.map((gate) => {
    const key = streakKey(route, stage.name, gate.kind)
    const result = evaluateGate(gate, { ...input, streak: t.streaks.get(key) ?? 0 })
    if (result.streak !== undefined) t.out.streaks.set(key, result.streak)
    t.out.readings.push({ route, stage: stage.name, gate: gate.kind, verdict: result.verdict, figures: result.figures, detail: result.detail })
    return result
  })
}

function failRoute(t: Tick, r: RouteProgress, stage: Stage, failed: GateResult[]): void {
  const failures = r.failures + 1
  const back = t.playbook.stages[Math.max(0, stage.index - 1)] as Stage
  const detail = failed.map((f) => `${f.gate}: ${f.detail}`).join('; ')
  t.out.events.push({ kind: 'gate_failed', route: r.route, stage: stage.name, gates: failed.map((f) => f.gate), failures, detail })
  if (failures >= 2) {
    t.out.events.push({ kind: 'rolled_back', route: r.route, stage: stage.name, reason: 'gate', by: 'runner', resumeAt: back.name, detail: `second gate failure, in ${stage.name}: ${detail}`, target: rollbackTarget(t.playbook) })
  } else {
    t.out.events.push({ kind: 'stage_entered', route: r.route, stage: back.name, reason: 'step_back', target: routeTarget(back) })
  }
}

function tickActive(t: Tick, r: RouteProgress): void {
  const stage = stageNamed(t.playbook, r.stage as string, `route "${r.route}"`)
  if (routePending(r)) return
  const results = gates(t, r.route, stage, {
    route: t.readings.routes.get(r.route),
    queue: t.readings.queue,
    approved: r.approvals.includes(stage.name),
    allPage: stage.flag?.mode === 'on',
  })
  const failed = results.filter((g) => g.verdict === 'fail')
  if (failed.length > 0) return failRoute(t, r, stage, failed)
  if (t.scaled - r.enteredScaled < stage.holdMs || results.some((g) => g.verdict === 'hold')) return
  const next = t.playbook.stages[stage.index + 1]
  if (!next || next.scope === 'queue') {
    t.out.events.push({ kind: 'route_done', route: r.route, stage: stage.name })
  } else if (inWindow(next.window, t.scaled)) {
    t.out.events.push({ kind: 'stage_entered', route: r.route, stage: next.name, reason: 'advance', target: routeTarget(next) })
  }
}

function startWaiting(t: Tick, all: RouteProgress[], moved: ReadonlySet<string>): void {
  // A slot a route frees this tick is taken next tick, from the journal.
  let slots = t.playbook.routes.concurrency - all.filter((r) => r.status === 'active').length
  // Resumed routes first: a person asked for them.
  const waiting = all.filter((r) => r.status === 'waiting' && !r.paused && !moved.has(r.route)).sort((a, b) => Number(b.entries.length > 0) - Number(a.entries.length > 0))
  for (const r of waiting) {
    if (slots <= 0) return
    const stage = stageNamed(t.playbook, r.next ?? (t.playbook.stages[0] as Stage).name, `route "${r.route}"`)
    if (!inWindow(stage.window, t.scaled)) continue
    t.out.events.push({ kind: 'stage_entered', route: r.route, stage: stage.name, reason: r.entries.length > 0 ? 'resume' : 'start', target: routeTarget(stage) })
    slots--
  }
}

function tickQueue(t: Tick, all: RouteProgress[]): void {
  const { playbook, state } = t
  const settled = all.length > 0 && all.every((r) => r.status === 'done' || r.status === 'parked')
  const q = state.queue
  if (state.completed || !settled) return
  const done = all.filter((r) => r.status === 'done').map((r) => r.route)
  const parked = all.filter((r) => r.status === 'parked').map((r) => r.route)
  const first = playbook.stages[playbook.firstQueueStage]
  if (!first) {
    t.out.events.push({ kind: 'completed', done, parked })
    return
  }
  if (q.status === 'waiting') {
    if (done.length > 0 && inWindow(first.window, t.scaled)) t.out.events.push({ kind: 'queue_stage_entered', stage: first.name, target: queueTarget(first, t.wall, state.clock?.scale ?? 1) })
    return
  }
  if (q.status !== 'active' || queuePending(q)) return
  const stage = stageNamed(playbook, q.stage as string, 'the queue')
  const results = gates(t, null, stage, { queue: t.readings.queue, approved: q.approvals.includes(stage.name), allPage: false })
  if (t.scaled - q.enteredScaled < stage.holdMs || results.some((g) => g.verdict !== 'pass')) return
  const next = playbook.stages[stage.index + 1]
  if (!next) t.out.events.push({ kind: 'completed', done, parked })
  else if (inWindow(next.window, t.scaled)) t.out.events.push({ kind: 'queue_stage_entered', stage: next.name, target: queueTarget(next, t.wall, state.clock?.scale ?? 1) })
}

/**
 * One tick: gate readings for every active route and queue stage, and the
 * events that follow from them (stages entered, failures, step-backs,
 * rollbacks, routes done). A paused playbook decides nothing; a paused
 * route keeps its stage.
 */
export function decide(input: TickInput): TickResult {
  const t: Tick = { ...input, scaled: scaledAt(input.state.clock, input.wall), out: { events: [], readings: [], streaks: new Map() } }
  if (input.state.paused) return { ...t.out, streaks: new Map(input.streaks) }
  const all = routesInOrder(input.state, input.routes, input.playbook.stages[0]?.name)
  for (const r of all) if (r.status === 'active' && !r.paused) tickActive(t, r)
  const moved = new Set(t.out.events.flatMap((e) => ('route' in e && e.route !== null ? [e.route] : [])))
  startWaiting(t, all, moved)
  if (moved.size === 0) tickQueue(t, all)
  return t.out
}
