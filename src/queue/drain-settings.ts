// The drain's settings as the control plane holds them, and the rules that
// read them: validation, the rate a schedule gives at a moment, and their
// form in the control hash. Pure: no Redis here.
import { CUTOVER_ERR_DRAIN_OPTIONS_INVALID } from '../errors.js'
import { describeValue } from '../describe-value.js'

export type DrainState = 'running' | 'paused' | 'stopped'

export interface DrainSchedule {
  /** jobs/s at `startAt` */
  from: number
  /** jobs/s once `overMs` has passed */
  to: number
  overMs: number
  /** epoch ms; default: when it was set */
  startAt?: number
}

export interface DrainSettings {
  state: DrainState
  /** A constant rate, jobs/s (ignored when schedule is set). */
  rate?: number
  schedule?: DrainSchedule
  updatedAt: number
}

export const DRAIN_STATES: readonly DrainState[] = Object.freeze(['running', 'paused', 'stopped'])

/** Highest rate the drain accepts, jobs/s (beyond it a typo is likelier than intent). */
export const MAX_RATE = 1_000_000

/** A rate in jobs/s: a finite number above 0 and at most MAX_RATE. */
export function checkRate(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > MAX_RATE) {
    throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID(`${name} to be a rate in jobs/s above 0 and at most ${MAX_RATE}`, describeValue(value))
  }
  return value
}

export function checkSchedule(value: unknown, now: number): DrainSchedule {
  const s = value as Partial<DrainSchedule> | null
  if (s === null || typeof s !== 'object') throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('schedule to be { from, to, overMs, startAt? }', describeValue(value))
  const unknown = Object.keys(s).filter((k) => !['from', 'to', 'overMs', 'startAt'].includes(k))
  if (unknown.length > 0) throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('schedule to have only from, to, overMs, startAt', describeValue(value))
  const from = checkRate('schedule.from', s.from)
  const to = checkRate('schedule.to', s.to)
  if (typeof s.overMs !== 'number' || !Number.isInteger(s.overMs) || s.overMs <= 0) {
    throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('schedule.overMs to be a positive integer of ms', describeValue(s.overMs))
  }
  if (s.startAt !== undefined && (typeof s.startAt !== 'number' || !Number.isFinite(s.startAt))) {
    throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('schedule.startAt to be epoch ms', describeValue(s.startAt))
  }
  return { from, to, overMs: s.overMs, startAt: s.startAt ?? now }
}

/** Checks settings a caller asks for (setDrain), filling the schedule's start. */
export function checkDrainSettings(value: unknown, now: number): Omit<DrainSettings, 'updatedAt'> {
  const v = value as Partial<DrainSettings> | null
  if (v === null || typeof v !== 'object') throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('settings to be { state, rate?, schedule? }', describeValue(value))
  const unknown = Object.keys(v).filter((k) => !['state', 'rate', 'schedule'].includes(k))
  if (unknown.length > 0) throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('settings to have only state, rate, schedule', describeValue(unknown))
  if (!DRAIN_STATES.includes(v.state as DrainState)) {
    throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('state to be running, paused or stopped', describeValue(v.state))
  }
  return {
    state: v.state as DrainState,
    ...(v.rate !== undefined ? { rate: checkRate('rate', v.rate) } : {}),
    ...(v.schedule !== undefined ? { schedule: checkSchedule(v.schedule, now) } : {}),
  }
}

/**
 * The target rate at `now`: the schedule's, linear from `from` to `to` over
 * `overMs` and `to` after it; else the constant rate; else `fallback`.
 */
export function rateAt(settings: Pick<DrainSettings, 'rate' | 'schedule'>, now: number, fallback: number): number {
  const s = settings.schedule
  if (s) {
    const start = s.startAt ?? now
    const t = Math.min(1, Math.max(0, (now - start) / s.overMs))
    return s.from + (s.to - s.from) * t
  }
  return settings.rate ?? fallback
}

/** Control-hash fields the settings are kept in. */
export const SETTINGS_FIELDS = ['drain:state', 'drain:rate', 'drain:schedule', 'drain:updatedAt'] as const

/** The settings as control-hash fields (a rate or schedule not given is an empty string: none). */
export function settingsToFields(settings: DrainSettings): Record<string, string> {
  return {
    'drain:state': settings.state,
    'drain:rate': settings.rate === undefined ? '' : String(settings.rate),
    'drain:schedule': settings.schedule === undefined ? '' : JSON.stringify(settings.schedule),
    'drain:updatedAt': String(settings.updatedAt),
  }
}

/**
 * The settings from control-hash fields, in SETTINGS_FIELDS order. Never
 * set: running at the drainer's own rate (updatedAt 0). A field that does not
 * parse is left out rather than trusted.
 */
export function settingsFromFields(values: ReadonlyArray<string | null>): DrainSettings {
  const [state, rate, schedule, updatedAt] = values
  const settings: DrainSettings = {
    state: DRAIN_STATES.includes(state as DrainState) ? (state as DrainState) : 'running',
    updatedAt: Number(updatedAt ?? 0) || 0,
  }
  const r = Number(rate)
  if (rate && Number.isFinite(r) && r > 0) settings.rate = r
  if (schedule) {
    try {
      settings.schedule = checkSchedule(JSON.parse(schedule), settings.updatedAt)
    } catch {
      // A schedule this release can't read: the constant rate (or the drainer's) applies.
    }
  }
  return settings
}
