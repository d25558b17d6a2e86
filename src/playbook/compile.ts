// From a document the schema accepted to the runner's model, with the checks
// a JSON Schema cannot express (a gate that could never read anything in its
// stage, queue stages before route stages, a time zone Intl does not know).

import { durationMs } from '../duration.js'
import {
  DEFAULT_MIN_SAMPLES,
  DEFAULT_QUEUE_READINGS,
  type DrainAction,
  type FlagAction,
  type Gate,
  type GatePolicy,
  type Playbook,
  type Stage,
  type StageActions,
} from './model.js'
import type { Problem } from './schema.js'
import { isTimeZone, parseHours, WEEKDAYS, type AdvanceWindow, type MinuteRange, type Weekday } from './window.js'

interface RawWindow {
  timezone: string
  days: Weekday[]
  hours?: string[]
}
interface RawActions {
  mode?: FlagAction['mode']
  percent?: number
  shadowRate?: number
  queueGate?: GatePolicy | 'default'
  drain?: { state?: DrainAction['state']; rate?: number; ramp?: { from: number; to: number; over: string } }
  retire?: { quiet: string }
}
type RawGates = Record<string, Record<string, unknown> | boolean | string>
interface RawStage {
  name: string
  description?: string
  scope?: 'route' | 'queue'
  actions?: RawActions
  hold?: string
  window?: RawWindow | 'always'
  gates?: RawGates
}
/** A document playbook.schema.json accepted. */
export interface RawPlaybook {
  version: 1
  name: string
  description?: string
  window?: RawWindow
  minSamples?: number
  routes: { match: string[]; exclude?: string[]; concurrency?: number }
  stages: RawStage[]
}

type Path = Array<string | number>

function compileWindow(raw: RawWindow, at: Path, problems: Problem[]): AdvanceWindow {
  if (!isTimeZone(raw.timezone)) problems.push({ path: [...at, 'timezone'], message: `expected an IANA time zone such as Europe/Berlin or UTC, got ${JSON.stringify(raw.timezone)}` })
  const hours: MinuteRange[] = []
  ;(raw.hours ?? []).forEach((text, i) => {
    const range = parseHours(text)
    if (range) hours.push(range)
    else problems.push({ path: [...at, 'hours', i], message: `expected hours as HH:MM-HH:MM with the end after the start, got ${JSON.stringify(text)}` })
  })
  return Object.freeze({ timezone: raw.timezone, days: Object.freeze(raw.days.map((d) => WEEKDAYS.indexOf(d)).sort()), hours: Object.freeze(hours) })
}

function compileActions(raw: RawActions | undefined, scope: Stage['scope'], at: Path, problems: Problem[]): StageActions {
  const actions: StageActions = {}
  if (!raw) return actions
  const here = [...at, 'actions']
  const wrongScope = (key: string, needs: string): void => {
    problems.push({ path: [...here, key], message: `"${key}" belongs in a stage with scope: ${needs}`, atKey: true })
  }
  if (scope === 'queue') {
    for (const key of ['mode', 'percent', 'shadowRate', 'queueGate'] as const) if (raw[key] !== undefined) wrongScope(key, 'route')
  } else {
    for (const key of ['drain', 'retire'] as const) if (raw[key] !== undefined) wrongScope(key, 'queue')
  }
  if (raw.percent !== undefined && raw.mode !== 'canary') problems.push({ path: [...here, 'percent'], message: 'percent goes with mode: canary', atKey: true })
  if (raw.shadowRate !== undefined && raw.mode !== 'shadow') problems.push({ path: [...here, 'shadowRate'], message: 'shadowRate goes with mode: shadow', atKey: true })
  if (raw.mode === 'canary' && raw.percent === undefined) problems.push({ path: [...here, 'mode'], message: 'mode canary needs a percent (0..100) beside it' })
  if (raw.mode !== undefined) {
    actions.flag = Object.freeze({
      mode: raw.mode,
      ...(raw.percent !== undefined ? { percent: raw.percent } : {}),
      ...(raw.shadowRate !== undefined ? { shadowRate: raw.shadowRate } : {}),
    })
  }
  if (raw.queueGate !== undefined) actions.queueGate = raw.queueGate === 'default' ? null : raw.queueGate
  if (raw.drain) actions.drain = compileDrain(raw.drain, [...here, 'drain'], problems)
  if (raw.retire) actions.retire = { quietMs: durationMs(raw.retire.quiet) ?? 0 }
  return Object.freeze(actions)
}

function compileDrain(raw: NonNullable<RawActions['drain']>, at: Path, problems: Problem[]): DrainAction {
  const state = raw.state ?? 'running'
  const both = raw.rate !== undefined && raw.ramp !== undefined
  if (state === 'running' && (both || (raw.rate === undefined && raw.ramp === undefined))) {
    problems.push({ path: at, message: 'a running drain needs exactly one of rate (jobs/s) or ramp { from, to, over }' })
  }
  if (state !== 'running' && (raw.rate !== undefined || raw.ramp !== undefined)) {
    problems.push({ path: [...at, 'state'], message: `a ${state} drain takes no rate or ramp` })
  }
  return Object.freeze({
    state,
    ...(raw.rate !== undefined ? { rate: raw.rate } : {}),
    ...(raw.ramp ? { ramp: { from: raw.ramp.from, to: raw.ramp.to, overMs: durationMs(raw.ramp.over) ?? 0 } } : {}),
  })
}

const SHADOW_GATES = new Set(['shadowMatchRate', 'logicMismatches', 'leaks'])
const TRAFFIC_GATES = new Set(['errorRate', 'p99', 'dbCallsPerRequest'])
const RELATIVE: Record<string, string> = { errorRate: 'maxIncrease', p99: 'maxRatio', dbCallsPerRequest: 'maxRatio' }

interface GateContext {
  at: Path
  scope: Stage['scope']
  /** The route's mode while in the stage (undefined: the stage sets none and none before it did). */
  mode: FlagAction['mode'] | undefined
  /** Whether an earlier stage gave the route legacy traffic to compare an all-page stage with. */
  legacyBefore: boolean
  minSamples: number
  problems: Problem[]
}

function trafficGate(kind: string, spec: Record<string, unknown>, c: GateContext): Gate {
  const serving = c.mode === 'canary' || c.mode === 'on'
  const path = (spec.path as 'page' | 'legacy' | 'all' | undefined) ?? (serving ? 'page' : 'legacy')
  const here = [...c.at, kind]
  if (path === 'page' && !serving) c.problems.push({ path: here, message: `${kind} reads the page path, which has no user traffic in mode ${c.mode ?? 'off'}; use it in canary or on stages, or set path: legacy` })
  if (path === 'legacy' && c.mode === 'on') c.problems.push({ path: here, message: `${kind} reads the legacy path, which has no user traffic in mode on` })
  const relative = RELATIVE[kind] as string
  if (spec[relative] !== undefined) {
    if (path !== 'page') c.problems.push({ path: [...here, relative], message: `${relative} compares the page path with the legacy path; it needs path: page`, atKey: true })
    else if (c.mode === 'on' && !c.legacyBefore) c.problems.push({ path: [...here, relative], message: `${relative} in mode on compares with the legacy path of the stage before, and no earlier stage serves legacy traffic`, atKey: true })
  }
  if (kind === 'p99' && spec.graceMs !== undefined && spec.maxRatio === undefined) c.problems.push({ path: [...here, 'graceMs'], message: 'graceMs widens maxRatio; it needs maxRatio', atKey: true })
  const absolute = kind === 'p99' ? 'maxMs' : 'max'
  if (spec[absolute] === undefined && spec[relative] === undefined) c.problems.push({ path: here, message: `${kind} needs ${absolute} or ${relative}` })
  const minSamples = (spec.minSamples as number | undefined) ?? c.minSamples
  const pick = (k: string): Record<string, number> => (typeof spec[k] === 'number' ? { [k]: spec[k] as number } : {})
  if (kind === 'dbCallsPerRequest') return { kind, path, minSamples, ...pick('max'), ...pick('maxRatio') }
  const onePath = path === 'all' ? 'page' : path
  return kind === 'p99' ? { kind, path: onePath, minSamples, ...pick('maxMs'), ...pick('maxRatio'), ...pick('graceMs') } : { kind: 'errorRate', path: onePath, minSamples, ...pick('max'), ...pick('maxIncrease') }
}

function compileGate(kind: string, value: Record<string, unknown> | boolean | string, c: GateContext): Gate | undefined {
  const here = [...c.at, kind]
  if (c.scope === 'queue' && kind !== 'queueDepth' && kind !== 'manual') {
    c.problems.push({ path: here, message: `a queue stage takes only queueDepth and manual gates, got ${kind}`, atKey: true })
    return undefined
  }
  if (kind === 'manual') {
    if (value === false) c.problems.push({ path: here, message: 'expected true or the text to show; leave the gate out instead of false' })
    return { kind, prompt: typeof value === 'string' ? value : undefined }
  }
  const spec = value as Record<string, unknown>
  if (kind === 'queueDepth') return { kind, max: (spec.max as number | undefined) ?? 0, minSamples: (spec.minSamples as number | undefined) ?? DEFAULT_QUEUE_READINGS }
  if (SHADOW_GATES.has(kind)) {
    if (c.mode !== 'shadow') c.problems.push({ path: here, message: `${kind} reads shadow samples, which are taken only in mode shadow (this stage: ${c.mode ?? 'off'})` })
    const minSamples = (spec.minSamples as number | undefined) ?? c.minSamples
    if (kind === 'shadowMatchRate') return { kind, min: spec.min as number, minSamples }
    return { kind: kind as 'logicMismatches' | 'leaks', max: (spec.max as number | undefined) ?? 0, minSamples }
  }
  if (TRAFFIC_GATES.has(kind)) return trafficGate(kind, spec, c)
  return undefined
}

function stageWindow(raw: RawStage, index: number, fallback: AdvanceWindow | undefined, problems: Problem[]): AdvanceWindow | undefined {
  if (raw.window === 'always') return undefined
  if (raw.window) return compileWindow(raw.window, ['stages', index, 'window'], problems)
  return fallback
}

function checkOrder(stages: readonly RawStage[], problems: Problem[]): number {
  const firstQueue = stages.findIndex((s) => s.scope === 'queue')
  if (firstQueue === 0) problems.push({ path: ['stages', 0, 'scope'], message: 'a playbook needs at least one route stage before its queue stages' })
  if (firstQueue >= 0) {
    stages.forEach((s, i) => {
      if (i > firstQueue && s.scope !== 'queue') problems.push({ path: ['stages', i], message: `route stage "${s.name}" comes after queue stage "${stages[firstQueue]?.name}"; route stages come first` })
    })
  }
  const names = new Map<string, number>()
  stages.forEach((s, i) => {
    if (names.has(s.name)) problems.push({ path: ['stages', i, 'name'], message: `stage name "${s.name}" is used twice (stages ${names.get(s.name)} and ${i}); names must be unique` })
    names.set(s.name, i)
  })
  return firstQueue < 0 ? stages.length : firstQueue
}

/** Builds the model; problems found are appended to `problems` (the model is only usable when none were). */
export function compilePlaybook(raw: RawPlaybook, source: { file: string; hash: string }, problems: Problem[]): Playbook {
  const window = raw.window ? compileWindow(raw.window, ['window'], problems) : undefined
  const minSamples = raw.minSamples ?? DEFAULT_MIN_SAMPLES
  const firstQueueStage = checkOrder(raw.stages, problems)
  let flag: FlagAction | undefined
  let queueGate: GatePolicy | null | undefined
  let legacyBefore = false
  const stages: Stage[] = raw.stages.map((s, index) => {
    const scope = s.scope ?? 'route'
    const actions = compileActions(s.actions, scope, ['stages', index], problems)
    if (actions.flag) flag = actions.flag
    if (actions.queueGate !== undefined) queueGate = actions.queueGate
    const c: GateContext = { at: ['stages', index, 'gates'], scope, mode: scope === 'queue' ? undefined : flag?.mode, legacyBefore, minSamples, problems }
    const gates = Object.entries(s.gates ?? {}).flatMap(([kind, value]) => compileGate(kind, value, c) ?? [])
    if (flag?.mode !== 'on') legacyBefore = true
    return Object.freeze({
      index,
      name: s.name,
      scope,
      holdMs: s.hold === undefined ? 0 : (durationMs(s.hold) ?? 0),
      window: stageWindow(s, index, window, problems),
      actions,
      gates: Object.freeze(gates),
      flag,
      queueGate,
    })
  })
  const usesQueue = stages.some((s) => s.actions.queueGate !== undefined || s.actions.drain || s.actions.retire || s.gates.some((g) => g.kind === 'queueDepth'))
  return Object.freeze({
    name: raw.name,
    description: raw.description,
    file: source.file,
    hash: source.hash,
    routes: Object.freeze({ match: Object.freeze([...raw.routes.match]), exclude: Object.freeze([...(raw.routes.exclude ?? [])]), concurrency: raw.routes.concurrency ?? 1 }),
    stages: Object.freeze(stages),
    firstQueueStage,
    usesQueue,
  })
}
