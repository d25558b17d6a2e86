// A playbook as the runner reads it: validated, durations in milliseconds,
// defaults applied, frozen. Built from the YAML file by parse.ts.

import type { RouteMode } from '../flags/flag-source.js'
import type { AdvanceWindow } from './window.js'

/** The refresh-queue producer gate's decision for a route's jobs (as the drain side defines it). */
export type GatePolicy = 'pass' | 'dedupe' | 'drop'

/** Which requests a traffic gate reads: the page path, the legacy path, or both. */
export type TrafficPath = 'page' | 'legacy' | 'all'

export interface FlagAction {
  mode: RouteMode
  /** Canary percentage (mode canary). */
  percent?: number
  /** Shadow sample rate (mode shadow). */
  shadowRate?: number
}

export interface DrainAction {
  state: 'running' | 'paused' | 'stopped'
  rate?: number
  /** Playbook-clock duration; the runner divides it by the time scale. */
  ramp?: { from: number; to: number; overMs: number }
}

export interface StageActions {
  flag?: FlagAction
  /** null clears the route's override (the gate's default for its mode applies). */
  queueGate?: GatePolicy | null
  drain?: DrainAction
  /** Quiet window on the playbook clock. */
  retire?: { quietMs: number }
}

export type Gate =
  | { kind: 'shadowMatchRate'; min: number; minSamples: number }
  | { kind: 'logicMismatches'; max: number; minSamples: number }
  | { kind: 'leaks'; max: number; minSamples: number }
  | { kind: 'errorRate'; path: 'page' | 'legacy'; max?: number; maxIncrease?: number; minSamples: number }
  | { kind: 'p99'; path: 'page' | 'legacy'; maxMs?: number; maxRatio?: number; graceMs?: number; minSamples: number }
  | { kind: 'dbCallsPerRequest'; path: TrafficPath; max?: number; maxRatio?: number; minSamples: number }
  | { kind: 'queueDepth'; max: number; minSamples: number }
  | { kind: 'manual'; prompt: string | undefined }

export type GateKind = Gate['kind']

export const GATE_KINDS: readonly GateKind[] = [
  'shadowMatchRate', 'logicMismatches', 'leaks', 'errorRate', 'p99', 'dbCallsPerRequest', 'queueDepth', 'manual',
]

export interface Stage {
  index: number
  name: string
  scope: 'route' | 'queue'
  holdMs: number
  /** The window this stage advances in (its own, else the playbook's); undefined: any time. */
  window: AdvanceWindow | undefined
  actions: StageActions
  gates: readonly Gate[]
  /**
   * The route's flag once this stage's actions are applied: the flag of the
   * last stage up to here that sets a mode (undefined when none does).
   */
  flag: FlagAction | undefined
  /** The route's gate override up to here (undefined: never set; null: cleared). */
  queueGate: GatePolicy | null | undefined
}

export interface Playbook {
  name: string
  description: string | undefined
  /** Where it was read from (for messages). */
  file: string
  /** sha256 of the file's text, recorded in the journal. */
  hash: string
  routes: { match: readonly string[]; exclude: readonly string[]; concurrency: number }
  stages: readonly Stage[]
  /** Index of the first queue stage; stages.length when there is none. */
  firstQueueStage: number
  /** Whether any stage acts on or reads the refresh queue (the runner then needs a queue control). */
  usesQueue: boolean
}

/** Default minimum sample of traffic and shadow gates. */
export const DEFAULT_MIN_SAMPLES = 200
/** Default consecutive readings a queue-depth gate needs. */
export const DEFAULT_QUEUE_READINGS = 3
