// Carries out the writes the journal does not confirm yet. Each one reads
// what is there first and writes only when it differs, so a write repeated
// after a crash (made, then the process died before journaling it) changes
// nothing and is journaled as unchanged.

import { CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE } from '../errors.js'
import type { FlagAdminWriter } from '../flags/admin-writer.js'
import type { RouteState } from '../flags/flag-source.js'
import { toRouteState } from '../flags/route-state.js'
import type { DrainTarget, EventBody } from './events.js'
import type { FlagAction } from './model.js'
import type { PlaybookDrainSettings, PlaybookQueueControl } from './queue-control.js'
import { sameDrain, type PendingAction } from './targets.js'

export interface ActionTargets {
  /** The playbook's name, for messages. */
  playbook: string
  writer: FlagAdminWriter
  queue?: PlaybookQueueControl | undefined
}

function asAction(state: RouteState): FlagAction {
  return { mode: state.mode, percent: state.percent, shadowRate: state.shadowRate }
}

function sameState(route: string, want: FlagAction, have: RouteState | undefined): boolean {
  if (!have) return false
  const normal = toRouteState(route, want)
  return normal.mode === have.mode && normal.percent === have.percent && normal.shadowRate === have.shadowRate
}

async function writeFlag(writer: FlagAdminWriter, route: string, flag: FlagAction): Promise<EventBody> {
  const before = await writer.getRoute(route)
  if (sameState(route, flag, before)) return { kind: 'flag_write', route, flag, before: before ? asAction(before) : null, changed: false }
  await writer.setRoute(route, { mode: flag.mode, ...(flag.percent !== undefined ? { percent: flag.percent } : {}), ...(flag.shadowRate !== undefined ? { shadowRate: flag.shadowRate } : {}) })
  return { kind: 'flag_write', route, flag, before: before ? asAction(before) : null, changed: true }
}

function drainOf(settings: PlaybookDrainSettings): DrainTarget {
  const s = settings.schedule
  return {
    state: settings.state,
    ...(settings.rate !== undefined ? { rate: settings.rate } : {}),
    ...(s ? { schedule: { from: s.from, to: s.to, overMs: s.overMs, startAt: s.startAt ?? 0 } } : {}),
  }
}

/** Makes one pending write (reading first); returns the event that journals it. Throws what the writer or queue throws. */
export async function carryOut(action: PendingAction, targets: ActionTargets): Promise<EventBody> {
  if (action.kind === 'flag') return writeFlag(targets.writer, action.route, action.flag)
  const queue = targets.queue
  if (!queue) throw new CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE(targets.playbook, `action "${actionName(action)}"`, 'the runner (which has one) makes it at its next tick')
  switch (action.kind) {
    case 'queueGate': {
      const before = (await queue.gatePolicies())[action.route] ?? null
      if (before !== action.policy) await queue.setGatePolicy(action.route, action.policy)
      return { kind: 'queue_gate_write', route: action.route, policy: action.policy, before, changed: before !== action.policy }
    }
    case 'drain': {
      const before = drainOf((await queue.status()).settings)
      const changed = !sameDrain(before, action.drain)
      if (changed) await queue.setDrain(action.drain)
      return { kind: 'drain_write', drain: action.drain, changed }
    }
    case 'retire':
      await queue.retire({ quietMs: action.quietMs })
      return { kind: 'retired', quietMs: action.quietMs }
  }
}

/** A short name of an action for the journal and the CLI. */
export function actionName(action: PendingAction): string {
  switch (action.kind) {
    case 'flag':
      return `flag ${action.route}`
    case 'queueGate':
      return `queue gate ${action.route}`
    case 'drain':
      return 'drain settings'
    case 'retire':
      return 'retire the queue'
  }
}
