// What the runner needs of the refresh queue's control plane: the subset of
// the drain side's QueueControl (src/queue/control.ts) it calls, declared
// here so that one is assignable to this without the runner importing drain
// internals. Every setting lives in Redis on the drain side, so a runner run
// from cron changes the queue without owning a drainer.

import type { GatePolicy } from './model.js'

export type { GatePolicy } from './model.js'

export interface PlaybookDrainSchedule {
  from: number
  to: number
  overMs: number
  startAt?: number
}

export interface PlaybookDrainSettings {
  state: 'running' | 'paused' | 'stopped'
  rate?: number
  schedule?: PlaybookDrainSchedule
}

export interface PlaybookQueueStatus {
  depth: number
  inFlight: number
  settings: PlaybookDrainSettings
}

export interface PlaybookQueueControl {
  setGatePolicy(routeId: string, policy: GatePolicy | null): Promise<void>
  gatePolicies(): Promise<Record<string, GatePolicy>>
  setDrain(settings: PlaybookDrainSettings): Promise<unknown>
  status(): Promise<PlaybookQueueStatus>
  /**
   * Refuses (CUTOVER_ERR_DRAIN_RETIRE_REFUSED) unless the queue is empty and was
   * quiet for `quietMs`; the runner journals the refusal once and tries again each tick.
   */
  retire(options: { quietMs: number }): Promise<void>
}
