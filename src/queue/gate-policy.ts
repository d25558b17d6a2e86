// The producer gate's decision and options, pure: which policy a route's
// refresh jobs get, from overrides, per-route options and the route's mode.
import { CUTOVER_ERR_GATE_OPTIONS_INVALID } from '../errors.js'
import type { FlagSource, RouteMode } from '../flags/flag-source.js'

export type GatePolicy = 'pass' | 'dedupe' | 'drop'

export const GATE_POLICIES: readonly GatePolicy[] = Object.freeze(['pass', 'dedupe', 'drop'])

/** Where overrides come from: a QueueControl fits. */
export interface GateOverrides {
  gatePolicies(): Promise<Record<string, GatePolicy>>
}

/** What the gate does with a job, counted per route: queued, deduped against a waiting job, dropped. */
export type GateDecision = 'passed' | 'deduped' | 'dropped'

/** Called after each enqueue batch, once per route and decision that occurred. */
export type GateObserver = (route: string, decision: GateDecision, n: number) => void

export interface GateOptions {
  /** Where route modes come from (`state(routeId).mode`). */
  flags: Pick<FlagSource, 'state'>
  /** Control plane whose per-route overrides (setGatePolicy) beat everything else. */
  control?: GateOverrides
  /**
   * Policy per route mode, merged over the defaults.
   * @default { off: 'pass', shadow: 'pass', canary: 'dedupe', on: 'drop' }
   */
  modes?: Partial<Record<RouteMode, GatePolicy>>
  /** Policy per route id, beating the mode's (the control plane's overrides beat these). */
  routes?: Record<string, GatePolicy>
  /**
   * With `dedupe`: also no new job for a record whose last job was accepted
   * within this many seconds, at most 3600 (a throttle, see docs/drain.md).
   * 0: only one waiting job per record.
   * @default 0
   */
  recentSeconds?: number
  /**
   * How long the control plane's overrides are cached, ms: a change is live
   * fleet-wide within about this long.
   * @default 1000
   */
  overridesTtlMs?: number
  /** Counts each decision (the meter's counters: see `meterGateObserver` in cutover/meter). */
  observe?: GateObserver
}

export interface CheckedGateOptions {
  flags: Pick<FlagSource, 'state'>
  control: GateOverrides | undefined
  modes: Readonly<Record<RouteMode, GatePolicy>>
  routes: Readonly<Record<string, GatePolicy>>
  recentMs: number
  overridesTtlMs: number
  observe: GateObserver | undefined
}

export const DEFAULT_MODE_POLICIES: Readonly<Record<RouteMode, GatePolicy>> = Object.freeze({ off: 'pass', shadow: 'pass', canary: 'dedupe', on: 'drop' })

const KNOWN = ['flags', 'control', 'modes', 'routes', 'recentSeconds', 'overridesTtlMs', 'observe']

const bad = (what: string, value: unknown): never => {
  throw new CUTOVER_ERR_GATE_OPTIONS_INVALID(what, JSON.stringify(value) ?? String(value))
}

function checkPolicies<K extends string>(name: string, value: unknown, keys?: readonly string[]): Record<K, GatePolicy> {
  if (value === undefined) return {} as Record<K, GatePolicy>
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return bad(`${name} to be an object of policies`, value)
  for (const [key, policy] of Object.entries(value)) {
    if (keys && !keys.includes(key)) bad(`${name} keys to be ${keys.join(', ')}`, key)
    if (!GATE_POLICIES.includes(policy as GatePolicy)) bad(`${name}.${key} to be pass, dedupe or drop`, policy)
  }
  return value as Record<K, GatePolicy>
}

export function checkGateOptions(options: GateOptions): CheckedGateOptions {
  if (options === null || typeof options !== 'object') return bad('options to be an object', options)
  for (const key of Object.keys(options)) if (!KNOWN.includes(key)) bad(`options to be among ${KNOWN.join(', ')}`, key)
  if (typeof options.flags?.state !== 'function') bad('flags to be a flag source', typeof options.flags)
  if (options.control !== undefined && typeof options.control?.gatePolicies !== 'function') bad('control to be a QueueControl', typeof options.control)
  const recent = options.recentSeconds ?? 0
  if (typeof recent !== 'number' || !Number.isFinite(recent) || recent < 0 || recent > 3600) bad('recentSeconds to be 0..3600', recent)
  const ttl = options.overridesTtlMs ?? 1000
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) bad('overridesTtlMs to be a non-negative number', ttl)
  if (options.observe !== undefined && typeof options.observe !== 'function') bad('observe to be a function', typeof options.observe)
  return Object.freeze({
    flags: options.flags,
    control: options.control,
    modes: Object.freeze({ ...DEFAULT_MODE_POLICIES, ...checkPolicies<RouteMode>('modes', options.modes, ['off', 'shadow', 'canary', 'on']) }),
    routes: Object.freeze({ ...checkPolicies<string>('routes', options.routes) }),
    recentMs: Math.round(recent * 1000),
    overridesTtlMs: ttl,
    observe: options.observe,
  })
}

/** The policy for a route's jobs: control-plane override, else the route's option, else its mode's. */
export function decidePolicy(route: string, options: CheckedGateOptions, overrides: Readonly<Record<string, GatePolicy>>): GatePolicy {
  return overrides[route] ?? options.routes[route] ?? options.modes[options.flags.state(route).mode]
}
