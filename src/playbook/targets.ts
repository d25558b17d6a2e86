// What a stage asks of a route's flag and gate, and of the queue; whether the
// journal confirms it written. Pure.

import { CUTOVER_ERR_PLAYBOOK_JOURNAL } from '../errors.js'
import type { DrainTarget, QueueTarget, RouteTarget } from './events.js'
import type { FlagAction, GatePolicy, Playbook, Stage } from './model.js'
import type { QueueProgress, RouteProgress, RunState } from './state.js'

export function sameFlag(a: FlagAction | undefined, b: FlagAction | undefined): boolean {
  return a?.mode === b?.mode && a?.percent === b?.percent && a?.shadowRate === b?.shadowRate
}

export function sameDrain(a: DrainTarget | undefined, b: DrainTarget | undefined): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null)
}

/** The route's flag and gate once the stage is entered (everything earlier stages set, up to this one). */
export function routeTarget(stage: Stage): RouteTarget {
  return {
    ...(stage.flag ? { flag: stage.flag } : {}),
    ...(stage.queueGate !== undefined ? { queueGate: stage.queueGate } : {}),
  }
}

/** Where a rollback puts a route: off, and its gate override cleared when the playbook sets one. */
export function rollbackTarget(playbook: Playbook): RouteTarget {
  const gates = playbook.stages.some((s) => s.actions.queueGate !== undefined)
  return { flag: { mode: 'off' }, ...(gates ? { queueGate: null } : {}) }
}

/**
 * The queue's settings once a queue stage is entered at `enteredWall`. A
 * ramp starts at the entry and runs `over / scale` of wall time, so writing
 * the same target again changes nothing.
 */
export function queueTarget(stage: Stage, enteredWall: number, scale: number): QueueTarget {
  const target: QueueTarget = {}
  const drain = stage.actions.drain
  if (drain) {
    target.drain = {
      state: drain.state,
      ...(drain.rate !== undefined ? { rate: drain.rate } : {}),
      ...(drain.ramp ? { schedule: { from: drain.ramp.from, to: drain.ramp.to, overMs: Math.round(drain.ramp.overMs / scale), startAt: enteredWall } } : {}),
    }
  }
  if (stage.actions.retire) target.retire = { quietMs: Math.round(stage.actions.retire.quietMs / scale) }
  return target
}

export function routePending(r: RouteProgress): boolean {
  const flag = r.target.flag !== undefined && !sameFlag(r.target.flag, r.written.flag)
  const gate = r.target.queueGate !== undefined && r.target.queueGate !== r.written.queueGate
  return flag || gate
}

export function queuePending(q: QueueProgress): boolean {
  return (q.target.drain !== undefined && !sameDrain(q.target.drain, q.written.drain)) || (q.target.retire !== undefined && !q.written.retired)
}

/** The stage of that name; a journal naming a stage the playbook lost is an error a person must settle. */
export function stageNamed(playbook: Playbook, name: string, who: string): Stage {
  const stage = playbook.stages.find((s) => s.name === name)
  if (!stage) {
    throw new CUTOVER_ERR_PLAYBOOK_JOURNAL(
      playbook.name,
      `${who} is in stage "${name}", which ${playbook.file} no longer has; put the stage back, or roll the route back and resume it at another stage`,
    )
  }
  return stage
}

/** A write the journal does not confirm yet. */
export type PendingAction =
  | { kind: 'flag'; route: string; flag: FlagAction }
  | { kind: 'queueGate'; route: string; policy: GatePolicy | null }
  | { kind: 'drain'; drain: DrainTarget }
  | { kind: 'retire'; quietMs: number }

/** Every write the run's targets ask for and the journal does not confirm, routes first, in order. */
export function pendingActions(state: RunState): PendingAction[] {
  const out: PendingAction[] = []
  for (const r of state.routes.values()) {
    const { flag, queueGate } = r.target
    if (flag !== undefined && !sameFlag(flag, r.written.flag)) out.push({ kind: 'flag', route: r.route, flag })
    if (queueGate !== undefined && queueGate !== r.written.queueGate) out.push({ kind: 'queueGate', route: r.route, policy: queueGate })
  }
  const q = state.queue
  if (q.target.drain !== undefined && !sameDrain(q.target.drain, q.written.drain)) out.push({ kind: 'drain', drain: q.target.drain })
  if (q.target.retire !== undefined && !q.written.retired) out.push({ kind: 'retire', quietMs: q.target.retire.quietMs })
  return out
}
