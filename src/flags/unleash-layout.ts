// How a route's flag is laid out in Unleash (docs/flags-and-modes.md, "Flags in Unleash").
// Pure functions shared by the Unleash flag source (reading) and the admin
// writer (writing), so both agree on one layout.
//
//   flag `${flagPrefix}${routeId}`, type release, in the client's environment:
//     enabled: false              -> off
//     enabled: true, one strategy:
//       name: flexibleRollout
//       parameters: { rollout: '10', stickiness: 'default', groupId: '<flag name>' }
//       variants: [{ name: 'cutover', weight: 1000, weightType: 'variable', stickiness: 'default',
//                    payload: { type: 'json', value: '{"mode":"canary","shadowRate":0}' } }]
//   flag `${flagPrefix}kill-switch`: enabled -> every route off.
//
// Without the `cutover` variant a plain gradual rollout still works: 100% is
// `on`, 0% is `off`, anything between is `canary` at that percentage.
// Constraints and segments on that strategy narrow whom the state applies to
// (unleash-audience.ts); everyone else gets `off`.

import { CUTOVER_ERR_FLAGS_STATE_INVALID, CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD } from '../errors.js'
import { isRouteId, ROUTE_ID_RULE } from '../route-id.js'
import type { RouteState } from './flag-source.js'
import { checkRouteId, isRouteMode, toRouteState } from './route-state.js'

export const LAYOUT_VARIANT = 'cutover'
export const KILL_SWITCH_SUFFIX = 'kill-switch'

export const flagNameFor = (flagPrefix: string, routeId: string): string => `${flagPrefix}${routeId}`
export const killFlagNameFor = (flagPrefix: string): string => `${flagPrefix}${KILL_SWITCH_SUFFIX}`

/** Unleash's own rule for flag names (`nameType` in unleash-server): URL-safe as they are, 1-100 characters. */
export const isUnleashFlagName = (name: string): boolean =>
  name.length >= 1 && name.length <= 100 && name !== '.' && name !== '..' && encodeURIComponent(name) === name

/**
 * A route id this layout can hold under `flagPrefix`: the route-config rule; not the kill switch's
 * suffix (a route flag of that name would be read as the kill switch, so turning it on would turn
 * every route off); and a flag name Unleash accepts (route ids may hold ":" and "/", Unleash names
 * may not). Throws CUTOVER_ERR_FLAGS_STATE_INVALID before any call is made.
 */
export function checkLayoutRouteId(routeId: unknown, flagPrefix: string): string {
  const id = checkRouteId(routeId)
  if (id === KILL_SWITCH_SUFFIX) {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(id), `id to be other than "${KILL_SWITCH_SUFFIX}" in Unleash (the kill switch's flag)`, JSON.stringify(id))
  }
  const name = flagNameFor(flagPrefix, id)
  if (!isUnleashFlagName(name)) {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(
      JSON.stringify(id),
      'flag name (prefix + route id) to be one Unleash accepts: letters, digits, - _ . ~ only, at most 100 characters',
      JSON.stringify(name),
    )
  }
  return id
}

/** The strategy (Admin API body) that encodes a route state; rollout values are strings. */
export interface RolloutStrategy {
  name: 'flexibleRollout'
  title?: string
  disabled?: boolean
  constraints: unknown[]
  parameters: { rollout: string; stickiness: string; groupId: string }
  variants: Array<{
    name: string
    weight: number
    weightType: 'variable' | 'fix'
    stickiness: string
    payload: { type: 'json'; value: string }
  }>
}

export function strategyFor(state: RouteState): RolloutStrategy {
  const rollout = state.mode === 'on' ? 100 : state.mode === 'canary' ? state.percent : 0
  return {
    name: 'flexibleRollout',
    constraints: [],
    parameters: { rollout: String(rollout), stickiness: 'default', groupId: state.groupId },
    variants: [
      {
        name: LAYOUT_VARIANT,
        weight: 1000,
        weightType: 'variable',
        stickiness: 'default',
        payload: { type: 'json', value: JSON.stringify({ mode: state.mode, shadowRate: state.shadowRate }) },
      },
    ],
  }
}

const bad = (flag: string, why: string): Error => new CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD(JSON.stringify(flag), why)

function payloadOf(flag: string, strategy: Record<string, unknown>): { mode?: unknown; shadowRate?: unknown } | undefined {
  const variants = strategy.variants
  if (variants === undefined || variants === null) return undefined
  if (!Array.isArray(variants)) throw bad(flag, 'expected strategy variants to be an array')
  const variant = variants.find((v) => (v as { name?: unknown } | null)?.name === LAYOUT_VARIANT) as
    | { payload?: { type?: unknown; value?: unknown } }
    | undefined
  if (!variant) return undefined
  const payload = variant.payload
  if (payload?.type !== 'json' || typeof payload.value !== 'string') {
    throw bad(flag, `expected variant "${LAYOUT_VARIANT}" to carry a json payload`)
  }
  let parsed: unknown
  try {
    parsed = JSON.parse(payload.value)
  } catch (err) {
    throw bad(flag, `variant "${LAYOUT_VARIANT}" payload is not JSON: ${(err as Error).message}`)
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw bad(flag, `expected variant "${LAYOUT_VARIANT}" payload to be an object { mode, shadowRate }`)
  }
  return parsed as { mode?: unknown; shadowRate?: unknown }
}

/**
 * Reads a route's state out of a client-API feature; throws
 * CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD when the flag does not follow the layout.
 */
export function routeStateFromFeature(routeId: string, feature: unknown): RouteState {
  const f = (feature ?? {}) as { name?: unknown; enabled?: unknown; strategies?: unknown }
  const flag = typeof f.name === 'string' ? f.name : routeId
  if (!isRouteId(routeId)) throw bad(flag, `expected the route id after the flag prefix to be ${ROUTE_ID_RULE}, got ${JSON.stringify(routeId)}`)
  if (typeof f.enabled !== 'boolean') throw bad(flag, 'expected "enabled" to be a boolean')
  if (!Array.isArray(f.strategies)) throw bad(flag, 'expected "strategies" to be an array')
  const strategies = activeStrategies(f.strategies)
  const rollout = strategies.find((s) => s.name === 'flexibleRollout')
  if (!f.enabled) return toRouteState(routeId, 'off', groupIdOf(rollout, flag))
  if (!rollout) {
    // Unleash: an enabled flag with no strategy (or the standard one) is on for everyone.
    if (strategies.every((s) => s.name === 'default')) return toRouteState(routeId, 'on', flag)
    throw bad(flag, 'expected a flexibleRollout strategy')
  }
  const params = (rollout.parameters ?? {}) as Record<string, unknown>
  const percent = Number(params.rollout)
  if (params.rollout === undefined || params.rollout === '' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw bad(flag, `expected parameter rollout to be "0".."100", got ${JSON.stringify(params.rollout)}`)
  }
  const groupId = groupIdOf(rollout, flag)
  const payload = payloadOf(flag, rollout)
  try {
    if (!payload) {
      const mode = percent >= 100 ? 'on' : percent <= 0 ? 'off' : 'canary'
      return toRouteState(routeId, { mode, percent, groupId })
    }
    if (!isRouteMode(payload.mode)) throw bad(flag, `expected payload mode to be off, shadow, canary or on, got ${JSON.stringify(payload.mode)}`)
    return toRouteState(routeId, {
      mode: payload.mode,
      ...(payload.mode === 'canary' ? { percent } : {}),
      ...(payload.shadowRate !== undefined ? { shadowRate: payload.shadowRate as number } : {}),
      groupId,
    })
  } catch (err) {
    if ((err as { code?: string }).code === 'CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD') throw err
    throw bad(flag, (err as Error).message)
  }
}

const activeStrategies = (strategies: unknown[]): Array<Record<string, unknown>> =>
  strategies.filter((s): s is Record<string, unknown> => s !== null && typeof s === 'object' && (s as { disabled?: unknown }).disabled !== true)

/**
 * The strategies whose constraints and segments say whom the route's state
 * applies to: the flexibleRollout one cutover reads, else (an enabled flag
 * that is `on`) its standard strategies, any one of which lets a request in.
 */
export function decidingStrategies(feature: unknown): Array<Record<string, unknown>> {
  const strategies = (feature as { strategies?: unknown } | null)?.strategies
  if (!Array.isArray(strategies)) return []
  const active = activeStrategies(strategies)
  const rollout = active.find((s) => s.name === 'flexibleRollout')
  return rollout ? [rollout] : active.filter((s) => s.name === 'default')
}

function groupIdOf(strategy: Record<string, unknown> | undefined, flag: string): string {
  const groupId = (strategy?.parameters as Record<string, unknown> | undefined)?.groupId
  return typeof groupId === 'string' && groupId !== '' ? groupId : flag
}
