// What the week demo promises, checked against its journal: pure, so the
// checks themselves are tested on made-up journals.
import type { JournalEvent } from '../playbook/events.js'

export interface StoryInput {
  events: readonly JournalEvent[]
  routes: readonly string[]
  /** The route carrying the deliberate fault, or undefined (--no-faults). */
  faulty: string | undefined
  /** Jobs the drainer refreshed. */
  drained: number
}

export interface StoryCheck {
  ok: boolean
  text: string
}

const of = (events: readonly JournalEvent[], kind: string, route?: string): JournalEvent[] =>
  events.filter((e) => e.body.kind === kind && (route === undefined || ('route' in e.body && e.body.route === route)))

function faultChecks(events: readonly JournalEvent[], faulty: string): StoryCheck[] {
  const failed = of(events, 'gate_failed', faulty)
  const caught = failed.filter((e) => e.body.kind === 'gate_failed' && e.body.gates.includes('logicMismatches'))
  const stepped = of(events, 'stage_entered', faulty).some((e) => e.body.kind === 'stage_entered' && e.body.reason === 'step_back')
  const rolled = of(events, 'rolled_back', faulty)
  const reachedOn = of(events, 'flag_write', faulty).some((e) => e.body.kind === 'flag_write' && e.body.flag.mode !== 'off' && e.body.flag.mode !== 'shadow')
  return [
    { ok: caught.length > 0, text: `${faulty}: the shadow gate caught the logic mismatch (${caught.length} logicMismatches failure(s))` },
    { ok: stepped, text: `${faulty}: stepped back one stage after its first failed gate` },
    { ok: rolled.length > 0, text: `${faulty}: rolled back to off after its second failed gate` },
    { ok: !reachedOn, text: `${faulty}: never served a user from the faulty page path (no canary, no on)` },
    { ok: of(events, 'route_done', faulty).length === 0, text: `${faulty}: not done` },
  ]
}

/** The story as scripted, each part with whether the journal shows it. */
export function checkStory(input: StoryInput): StoryCheck[] {
  const { events, faulty } = input
  const checks: StoryCheck[] = []
  for (const route of input.routes.filter((r) => r !== faulty)) {
    const done = of(events, 'route_done', route).length > 0
    const failures = of(events, 'gate_failed', route).length
    checks.push({ ok: done && failures === 0, text: `${route}: through measure, shadow, canary 10% and 50% to on${failures > 0 ? ` (but ${failures} gate failure(s))` : ''}` })
  }
  if (faulty !== undefined) checks.push(...faultChecks(events, faulty))
  const drainEntered = of(events, 'queue_stage_entered').some((e) => e.body.kind === 'queue_stage_entered' && e.body.stage === 'drain')
  checks.push({ ok: drainEntered, text: 'the queue entered its drain stage once every route was settled' })
  checks.push({ ok: input.drained > 0, text: `the drainer worked the backlog off (${input.drained.toLocaleString('en-US')} jobs refreshed, none dropped)` })
  if (faulty === undefined) {
    checks.push({ ok: of(events, 'retired').length > 0, text: 'the empty, quiet queue was retired' })
    checks.push({ ok: of(events, 'completed').length > 0, text: 'the playbook completed' })
  } else {
    const retired = of(events, 'retired').length > 0
    checks.push({ ok: !retired, text: `the queue was not retired: ${faulty}, rolled back to off, still enqueues refresh jobs` })
  }
  return checks
}

/** Whether the run can stop: the story has played out (or cannot go further). */
export function storySettled(input: StoryInput, drainHeld: boolean): boolean {
  if (of(input.events, 'completed').length > 0) return true
  // Every route rolled back to off: nothing can go further until a person resumes one.
  if (input.routes.every((r) => of(input.events, 'rolled_back', r).length > 0)) return true
  // With a route rolled back the queue never gets quiet: the run ends once the drain stage has held its time.
  return input.faulty !== undefined && drainHeld
}
