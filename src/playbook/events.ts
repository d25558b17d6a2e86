// What the journal records. Every change to a run is an event; the run's
// state is the events folded in order (state.ts), so a runner that restarts
// (or a CLI command in another process) sees exactly what the last one did.

import type { FlagAction, GatePolicy } from './model.js'

/** Drain settings as written to the queue control: wall-clock figures. */
export interface DrainTarget {
  state: 'running' | 'paused' | 'stopped'
  rate?: number
  schedule?: { from: number; to: number; overMs: number; startAt: number }
}

/** What a route or the queue should look like once a stage's actions are applied. */
export interface RouteTarget {
  /** The route's flag; absent: leave the flag as it is. */
  flag?: FlagAction
  /** The route's producer-gate override (null: none); absent: leave it. */
  queueGate?: GatePolicy | null
}

export interface QueueTarget {
  drain?: DrainTarget
  /** Retire the queue once quiet for this long (wall ms). */
  retire?: { quietMs: number }
}

/** Who did it: the runner, or a person through the CLI. */
export type Actor = string

export type EventBody =
  | { kind: 'started'; scale: number; hash: string; by: Actor }
  | { kind: 'playbook_changed'; from: string; to: string }
  | { kind: 'stage_entered'; route: string; stage: string; reason: 'start' | 'advance' | 'step_back' | 'resume'; target: RouteTarget }
  | { kind: 'queue_stage_entered'; stage: string; target: QueueTarget }
  | { kind: 'gate_failed'; route: string; stage: string; gates: string[]; failures: number; detail: string }
  | { kind: 'rolled_back'; route: string; stage: string | null; reason: 'gate' | 'manual'; by: Actor; resumeAt: string; detail: string; target: RouteTarget }
  | { kind: 'route_done'; route: string; stage: string }
  | { kind: 'completed'; done: string[]; parked: string[] }
  | { kind: 'paused'; route: string | null; by: Actor }
  | { kind: 'resumed'; route: string | null; by: Actor; stage?: string }
  | { kind: 'approved'; route: string | null; stage: string; by: Actor }
  | { kind: 'flag_write'; route: string; flag: FlagAction; before: FlagAction | null; changed: boolean }
  | { kind: 'queue_gate_write'; route: string; policy: GatePolicy | null; before: GatePolicy | null; changed: boolean }
  | { kind: 'drain_write'; drain: DrainTarget; changed: boolean }
  | { kind: 'retired'; quietMs: number }
  | { kind: 'action_failed'; route: string | null; action: string; error: string }

export type EventKind = EventBody['kind']

/** An event as stored: its place in the playbook's journal and both clocks. */
export interface JournalEvent {
  seq: number
  /** Epoch ms of the machine's clock. */
  wall: number
  /** Epoch ms of the playbook clock (wall sped up by --time-scale since the run started). */
  scaled: number
  body: EventBody
}

/** A gate reading as the journal keeps it (one row per gate per tick). */
export interface GateReading {
  route: string | null
  stage: string
  gate: string
  verdict: 'pass' | 'hold' | 'fail'
  figures: Record<string, number | null>
  detail: string
}
