// One-line descriptions of what a stage does and checks, for plan and status.

import type { DrainTarget, EventBody, QueueTarget, RouteTarget } from './events.js'
import type { FlagAction, Gate } from './model.js'

const pct = (x: number): string => `${+(x * 100).toFixed(2)}%`

export function describeFlag(flag: FlagAction | undefined): string {
  if (!flag) return '(unchanged)'
  if (flag.mode === 'canary') return `canary ${flag.percent ?? 0}%`
  if (flag.mode === 'shadow') return `shadow rate ${flag.shadowRate ?? 0.1}`
  return flag.mode
}

export function describeGate(g: Gate): string {
  const samples = 'minSamples' in g ? `, >= ${g.minSamples} ${g.kind === 'queueDepth' ? 'readings' : 'samples'}` : ''
  switch (g.kind) {
    case 'shadowMatchRate':
      return `shadow match rate >= ${pct(g.min)}${samples}`
    case 'logicMismatches':
      return `logic mismatches <= ${g.max}${samples}`
    case 'leaks':
      return `leaks <= ${g.max}${samples}`
    case 'errorRate':
      return `${g.path} error rate${g.max !== undefined ? ` <= ${pct(g.max)}` : ''}${g.maxIncrease !== undefined ? ` <= legacy + ${pct(g.maxIncrease)}` : ''}${samples}`
    case 'p99':
      return `${g.path} p99${g.maxMs !== undefined ? ` <= ${g.maxMs}ms` : ''}${g.maxRatio !== undefined ? ` <= legacy x${g.maxRatio}${g.graceMs ? ` or +${g.graceMs}ms` : ''}` : ''}${samples}`
    case 'dbCallsPerRequest':
      return `${g.path} DB calls/request${g.max !== undefined ? ` <= ${g.max}` : ''}${g.maxRatio !== undefined ? ` <= legacy x${g.maxRatio}` : ''}${samples}`
    case 'queueDepth':
      return `queue depth <= ${g.max}${samples}`
    case 'manual':
      return `manual approval${g.prompt ? ` (${g.prompt})` : ''}`
  }
}

export function describeDrain(d: DrainTarget): string {
  if (d.state !== 'running') return `drain ${d.state}`
  if (d.schedule) return `drain from ${d.schedule.from}/s to ${d.schedule.to}/s over ${Math.round(d.schedule.overMs / 1000)}s (wall)`
  return `drain at ${d.rate}/s`
}

/** The writes a route's stage entry makes. */
export function describeRouteTarget(route: string, t: RouteTarget): string[] {
  const out: string[] = []
  if (t.flag) out.push(`flag ${route} -> ${describeFlag(t.flag)}`)
  if (t.queueGate !== undefined) out.push(`queue gate ${route} -> ${t.queueGate ?? 'default'}`)
  return out
}

export function describeQueueTarget(t: QueueTarget): string[] {
  const out: string[] = []
  if (t.drain) out.push(describeDrain(t.drain))
  if (t.retire) out.push(`retire the queue once quiet for ${Math.round(t.retire.quietMs / 1000)}s (wall)`)
  return out
}

/** One line per journal event, for the CLI. */
export function describeEvent(e: EventBody): string {
  switch (e.kind) {
    case 'started':
      return `runner started by ${e.by}, time scale ${e.scale}`
    case 'playbook_changed':
      return `the playbook file changed since the last run (${e.from.slice(0, 12)} -> ${e.to.slice(0, 12)})`
    case 'stage_entered':
      return `${e.route}: ${e.reason === 'step_back' ? 'STEPPED BACK to' : e.reason === 'resume' ? 'resumed at' : 'entered'} stage ${e.stage}`
    case 'queue_stage_entered':
      return `queue: entered stage ${e.stage}`
    case 'gate_failed':
      return `${e.route}: gate FAILED in ${e.stage} (failure ${e.failures}): ${e.detail}`
    case 'rolled_back':
      return `${e.route}: ROLLED BACK to off (${e.reason === 'gate' ? 'second gate failure' : `by ${e.by}`}); it stays off until \`cutover playbook resume --route ${e.route}\` (would re-enter ${e.resumeAt})`
    case 'route_done':
      return `${e.route}: done (through ${e.stage})`
    case 'completed':
      return `playbook completed: ${e.done.length} route(s) done${e.parked.length > 0 ? `, rolled back: ${e.parked.join(', ')}` : ''}`
    case 'paused':
      return `${e.route ?? 'playbook'}: paused by ${e.by}`
    case 'resumed':
      return `${e.route ?? 'playbook'}: resumed by ${e.by}${e.stage ? ` at ${e.stage}` : ''}`
    case 'approved':
      return `${e.route ?? 'queue'}: stage ${e.stage} approved by ${e.by}`
    case 'flag_write':
      return `${e.route}: flag ${describeFlag(e.flag)}${e.changed ? ` (was ${e.before ? describeFlag(e.before) : 'no flag'})` : ' (already so)'}`
    case 'queue_gate_write':
      return `${e.route}: queue gate ${e.policy ?? 'default'}${e.changed ? ` (was ${e.before ?? 'default'})` : ' (already so)'}`
    case 'drain_write':
      return `queue: ${describeDrain(e.drain)}${e.changed ? '' : ' (already so)'}`
    case 'retired':
      return 'queue: retired'
    case 'action_failed':
      return `${e.route ?? 'queue'}: ${e.action} failed, retried next tick: ${e.error}`
  }
}
