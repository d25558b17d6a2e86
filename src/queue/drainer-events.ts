// What a drainer tells whoever runs it: its state, progress (a CLI renders
// it), faults and how it ended.
import type { DrainSettings } from './drain-settings.js'
import type { BatchOutcome } from './refresh-batch.js'

/** What a drainer is doing. */
export type DrainerState = 'starting' | 'running' | 'paused' | 'idle' | 'backing-off' | 'redis-down' | 'stopped'

/** This drainer's counts since it started. */
export interface DrainerTotals {
  batches: number
  /** refreshMany calls (DB queries when it makes one per call). */
  queries: number
  refreshed: number
  superseded: number
  retried: number
  deadLettered: number
}

/** Emitted every `progressEveryMs`: what a CLI renders as a progress bar. */
export interface DrainProgress {
  at: number
  id: string
  state: DrainerState
  /** Jobs left (waiting + in flight), across drainers. */
  depth: number
  inFlight: number
  deadLetters: number
  /** Jobs/s this drainer settled over the last seconds. */
  rate: number
  /** Jobs/s all live drainers settled (the ETA's divisor). */
  drainRate: number
  drainers: number
  /** The rate asked for now (schedule or constant), before back-pressure. */
  targetRate: number
  /** Back-pressure factor in [0.05, 1] applied to the target rate. */
  factor: number
  /** Seconds until depth 0 at drainRate; null when nothing drains. */
  etaSeconds: number | null
  settings: DrainSettings
  totals: DrainerTotals
  /** Why the rate is backed off, when it is. */
  pressure?: string
}

export interface DrainFault {
  kind: 'redis' | 'mysql'
  error: unknown
  /** ms until the next attempt */
  retryInMs: number
}

export interface DrainResult {
  /** empty: depth reached `untilDepth`; stopped: stop() or the control plane's state `stopped`. */
  reason: 'empty' | 'stopped'
  totals: DrainerTotals
  durationMs: number
}

export interface DrainerEvents {
  progress: [DrainProgress]
  batch: [{ claimed: number; outcome: BatchOutcome }]
  fault: [DrainFault]
  done: [DrainResult]
}
