import type { EventBody, JournalEvent } from '../../src/playbook/events.js'

export const HOUR = 3_600_000
const T0 = Date.UTC(2026, 0, 5, 9)

/** A journal of the week demo's story: one event per playbook hour, the wall clock 1000 times slower. */
export function journal(bodies: EventBody[]): JournalEvent[] {
  return bodies.map((body, i) => ({ seq: i + 1, scaled: T0 + i * HOUR, wall: 1_000_000 + i * 3600, body }))
}

const target = {}
export const entered = (route: string, stage: string, reason: 'start' | 'advance' | 'step_back' = 'advance'): EventBody => ({ kind: 'stage_entered', route, stage, reason, target })
export const flag = (route: string, mode: 'off' | 'shadow' | 'canary' | 'on'): EventBody => ({ kind: 'flag_write', route, flag: { mode }, before: null, changed: true })
export const failed = (route: string, stage: string, failures: number, gates = ['logicMismatches']): EventBody => ({ kind: 'gate_failed', route, stage, gates, failures, detail: `${gates.join(', ')} failed` })

/** A route that goes measure, shadow, canary 10%, 50%, on, done. */
export function cleanRoute(route: string): EventBody[] {
  return [
    entered(route, 'measure', 'start'), flag(route, 'off'),
    entered(route, 'shadow'), flag(route, 'shadow'),
    entered(route, 'canary-10'), flag(route, 'canary'),
    entered(route, 'canary-50'), flag(route, 'canary'),
    entered(route, 'on'), flag(route, 'on'),
    { kind: 'route_done', route, stage: 'on' },
  ]
}

/** The faulty route: shadow fails, steps back, shadow fails again, rolled back to off. */
export function faultyRoute(route: string): EventBody[] {
  return [
    entered(route, 'measure', 'start'), flag(route, 'off'),
    entered(route, 'shadow'), flag(route, 'shadow'),
    failed(route, 'shadow', 1), entered(route, 'measure', 'step_back'), flag(route, 'off'),
    entered(route, 'shadow'), flag(route, 'shadow'),
    failed(route, 'shadow', 2),
    { kind: 'rolled_back', route, stage: 'shadow', reason: 'gate', by: 'runner', resumeAt: 'measure', detail: 'second gate failure', target },
    flag(route, 'off'),
  ]
}

export const drainStage: EventBody = { kind: 'queue_stage_entered', stage: 'drain', target: {} }
