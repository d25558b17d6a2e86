import { CUTOVER_ERR_FLAGS_STATE_INVALID } from '../errors.js'
import { isRouteId, ROUTE_ID_RULE } from '../route-id.js'
import { DEFAULT_SHADOW_RATE, ROUTE_MODES, type RouteMode, type RouteState } from './flag-source.js'
import { describeValue } from '../describe-value.js'

/** A route's flag as a person writes it (flags file, CLI, admin writer). */
export interface RouteFlagInput {
  mode: RouteMode
  /** Canary percentage, 0..100. Required for `canary`. */
  percent?: number
  /** Shadow sample rate, 0..1. @default 0.1 in shadow mode */
  shadowRate?: number
  /** Stickiness group. @default the route id (or the Unleash flag name) */
  groupId?: string
}

const KNOWN_KEYS = new Set(['mode', 'percent', 'shadowRate', 'groupId'])

export function isRouteMode(value: unknown): value is RouteMode {
  return typeof value === 'string' && (ROUTE_MODES as readonly string[]).includes(value)
}

function numberIn(routeId: string, name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(routeId), `${name} to be a number from 0 to ${max}`, describeValue(value))
  }
  return value
}

/**
 * The route id a flag is for, checked by the rule a route's own config uses: a flag for an id no
 * route can have would never apply. Throws CUTOVER_ERR_FLAGS_STATE_INVALID.
 */
export function checkRouteId(routeId: unknown): string {
  if (!isRouteId(routeId)) throw new CUTOVER_ERR_FLAGS_STATE_INVALID(describeValue(routeId), `id to be ${ROUTE_ID_RULE}`, describeValue(routeId))
  return routeId
}

/**
 * Validates one route's id and flag (a mode string, or an object) and returns the
 * frozen state the plugin reads. Throws CUTOVER_ERR_FLAGS_STATE_INVALID.
 */
export function toRouteState(routeId: string, input: unknown, defaultGroupId: string = routeId): RouteState {
  checkRouteId(routeId)
  const spec = typeof input === 'string' ? { mode: input } : input
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(routeId), 'to be a mode or an object { mode, percent, shadowRate }', describeValue(input))
  }
  const record = spec as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(routeId), `keys to be mode, percent, shadowRate or groupId`, describeValue(key))
    }
  }
  const mode = record.mode
  if (!isRouteMode(mode)) {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(routeId), `mode to be one of ${ROUTE_MODES.join(', ')}`, describeValue(mode))
  }
  if (mode === 'canary' && record.percent === undefined) {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(routeId), 'percent (0..100) in canary mode', 'none')
  }
  const percent = record.percent === undefined ? (mode === 'on' ? 100 : 0) : numberIn(routeId, 'percent', record.percent, 100)
  const shadowRate =
    record.shadowRate === undefined ? (mode === 'shadow' ? DEFAULT_SHADOW_RATE : 0) : numberIn(routeId, 'shadowRate', record.shadowRate, 1)
  const groupId = record.groupId ?? defaultGroupId
  if (typeof groupId !== 'string' || groupId === '') {
    throw new CUTOVER_ERR_FLAGS_STATE_INVALID(JSON.stringify(routeId), 'groupId to be a non-empty string', describeValue(groupId))
  }
  return Object.freeze({ mode, percent, shadowRate, groupId })
}

export function sameState(a: RouteState, b: RouteState): boolean {
  return (
    a.mode === b.mode && a.percent === b.percent && a.shadowRate === b.shadowRate && a.groupId === b.groupId && a.audience?.key === b.audience?.key
  )
}
