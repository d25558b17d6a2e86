import type { DrainTarget, EventBody, JournalEvent, QueueTarget, RouteTarget } from './events.js'
import type { FlagAction, GatePolicy } from './model.js'

/** The playbook clock: `scaled = scaledAt + (wall - wallAt) * scale`. */
export interface PlaybookClock {
  wallAt: number
  scaledAt: number
  scale: number
}

export interface RouteProgress {
  route: string
  /** waiting: not started (or resumed, to enter `next`); active: in `stage`; done: through every route stage; parked: rolled back to off. */
  status: 'waiting' | 'active' | 'done' | 'parked'
  /** Name of the stage entered last. */
  stage: string | undefined
  enteredWall: number
  enteredScaled: number
  /** Stage the route enters when it starts or is resumed. */
  next: string | undefined
  /** Gate failures since the route started or was last resumed. */
  failures: number
  paused: boolean
  /** Stage names approved and not yet used. */
  approvals: string[]
  /** Stage entries, oldest first (for the legacy baseline of an all-page stage). */
  entries: Array<{ stage: string; wall: number }>
  target: RouteTarget
  /** What the journal confirms was written. */
  written: { flag?: FlagAction; queueGate?: GatePolicy | null }
  /** Why it is parked, for status. */
  parkedBecause?: string | undefined
  /** The last action failure recorded (to record a repeated one once). */
  lastError?: string | undefined
}

export interface QueueProgress {
  status: 'waiting' | 'active' | 'done'
  stage: string | undefined
  enteredWall: number
  enteredScaled: number
  approvals: string[]
  target: QueueTarget
  written: { drain?: DrainTarget; retired: boolean }
  lastError?: string | undefined
}

export interface RunState {
  playbook: string
  /** Seq of the last event folded in (0: none). */
  seq: number
  clock: PlaybookClock | undefined
  hash: string | undefined
  paused: boolean
  routes: Map<string, RouteProgress>
  queue: QueueProgress
  completed: boolean
}

export function initialState(playbook: string): RunState {
  return {
    playbook,
    seq: 0,
    clock: undefined,
    hash: undefined,
    paused: false,
    routes: new Map(),
    queue: { status: 'waiting', stage: undefined, enteredWall: 0, enteredScaled: 0, approvals: [], target: {}, written: { retired: false } },
    completed: false,
  }
}

/** A route that has no event yet: waiting to enter `first`. */
export function newRoute(route: string, first: string | undefined): RouteProgress {
  return {
    route,
    status: 'waiting',
    stage: undefined,
    enteredWall: 0,
    enteredScaled: 0,
    next: first,
    failures: 0,
    paused: false,
    approvals: [],
    entries: [],
    target: {},
    written: {},
  }
}

export function scaledAt(clock: PlaybookClock | undefined, wall: number): number {
  return clock ? clock.scaledAt + (wall - clock.wallAt) * clock.scale : wall
}

function routeOf(state: RunState, route: string): RouteProgress {
  let r = state.routes.get(route)
  if (!r) state.routes.set(route, (r = newRoute(route, undefined)))
  return r
}

function enter(r: RouteProgress, stage: string, e: JournalEvent, target: RouteTarget): void {
  // An approval is for one stay in a stage: leaving it uses it up.
  if (r.stage !== undefined) r.approvals = r.approvals.filter((s) => s !== r.stage)
  r.status = 'active'
  r.stage = stage
  r.next = undefined
  r.enteredWall = e.wall
  r.enteredScaled = e.scaled
  r.entries.push({ stage, wall: e.wall })
  if (r.entries.length > 16) r.entries.shift()
  r.target = { ...r.target, ...target }
}

function foldRoute(state: RunState, e: JournalEvent, b: EventBody): void {
  switch (b.kind) {
    case 'stage_entered':
      return enter(routeOf(state, b.route), b.stage, e, b.target)
    case 'gate_failed':
      routeOf(state, b.route).failures = b.failures
      return
    case 'rolled_back': {
      const r = routeOf(state, b.route)
      if (r.stage !== undefined) r.approvals = r.approvals.filter((s) => s !== r.stage)
      r.status = 'parked'
      r.next = b.resumeAt
      r.target = b.target
      // A rollback checks what is there, whatever the journal last wrote: someone may have changed it by hand.
      r.written = {}
      r.parkedBecause = b.detail
      return
    }
    case 'route_done':
      routeOf(state, b.route).status = 'done'
      return
    case 'flag_write':
      routeOf(state, b.route).written.flag = b.flag
      routeOf(state, b.route).lastError = undefined
      return
    case 'queue_gate_write':
      routeOf(state, b.route).written.queueGate = b.policy
      routeOf(state, b.route).lastError = undefined
      return
    default:
      return
  }
}

function foldControl(state: RunState, b: EventBody): void {
  switch (b.kind) {
    case 'paused':
      if (b.route === null) state.paused = true
      else routeOf(state, b.route).paused = true
      return
    case 'resumed': {
      if (b.route === null) {
        state.paused = false
        return
      }
      const r = routeOf(state, b.route)
      r.paused = false
      if (r.status === 'parked') {
        r.status = 'waiting'
        r.failures = 0
        r.parkedBecause = undefined
        if (b.stage !== undefined) r.next = b.stage
        state.completed = false
      }
      return
    }
    case 'approved':
      if (b.route === null) state.queue.approvals.push(b.stage)
      else routeOf(state, b.route).approvals.push(b.stage)
      return
    default:
      return
  }
}

function foldQueue(state: RunState, e: JournalEvent, b: EventBody): void {
  const q = state.queue
  switch (b.kind) {
    case 'queue_stage_entered':
      if (q.stage !== undefined) q.approvals = q.approvals.filter((s) => s !== q.stage)
      q.status = 'active'
      q.stage = b.stage
      q.enteredWall = e.wall
      q.enteredScaled = e.scaled
      q.target = { ...q.target, ...b.target }
      return
    case 'drain_write':
      q.written.drain = b.drain
      q.lastError = undefined
      return
    case 'retired':
      q.written.retired = true
      q.lastError = undefined
      return
    case 'completed':
      if (q.stage !== undefined) q.status = 'done'
      state.completed = true
      return
    default:
      return
  }
}

/** Folds one event into the state (mutates and returns it). */
export function applyEvent(state: RunState, e: JournalEvent): RunState {
  const b = e.body
  state.seq = e.seq
  if (b.kind === 'started') {
    state.clock = { wallAt: e.wall, scaledAt: e.scaled, scale: b.scale }
    state.hash = b.hash
  } else if (b.kind === 'playbook_changed') {
    state.hash = b.to
  } else if (b.kind === 'action_failed') {
    if (b.route === null) state.queue.lastError = `${b.action}: ${b.error}`
    else routeOf(state, b.route).lastError = `${b.action}: ${b.error}`
  }
  foldRoute(state, e, b)
  foldControl(state, b)
  foldQueue(state, e, b)
  return state
}

export function foldEvents(playbook: string, events: readonly JournalEvent[]): RunState {
  return events.reduce(applyEvent, initialState(playbook))
}
