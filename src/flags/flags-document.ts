import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { CUTOVER_ERR_FLAGS_FILE_EMPTY, CUTOVER_ERR_FLAGS_FILE_INVALID } from '../errors.js'
import type { RouteState } from './flag-source.js'
import { toRouteState } from './route-state.js'

// The flags file, JSON or YAML (the format follows the extension):
//
//   kill: false                 # true turns every route off
//   routes:
//     products.list: on         # a mode alone ...
//     products.show: { mode: canary, percent: 10 }
//     search: { mode: shadow, shadowRate: 0.05 }
//
// A route that is not listed is off. A file that holds no document at all
// (nothing, blanks, only comments, or null) is not "every route off": that is
// what a truncated or half-written file looks like, so it is refused with
// CUTOVER_ERR_FLAGS_FILE_EMPTY and the reader decides what it means.

export interface FlagsDocument {
  kill: boolean
  routes: Map<string, RouteState>
}

export type FlagsFormat = 'json' | 'yaml'

export function formatOf(path: string): FlagsFormat {
  return /\.json$/i.test(path) ? 'json' : 'yaml'
}

/** A document with no routes and the kill switch off. */
export const emptyFlagsDocument = (): FlagsDocument => ({ kill: false, routes: new Map() })

/**
 * Parses and validates a flags file's text; throws CUTOVER_ERR_FLAGS_FILE_INVALID naming the file,
 * or CUTOVER_ERR_FLAGS_FILE_EMPTY when it holds no document.
 */
export function parseFlagsDocument(text: string, path: string): FlagsDocument {
  if (text.trim() === '') throw new CUTOVER_ERR_FLAGS_FILE_EMPTY(path)
  let raw: unknown
  try {
    raw = formatOf(path) === 'json' ? JSON.parse(text) : parseYaml(text)
  } catch (err) {
    throw new CUTOVER_ERR_FLAGS_FILE_INVALID(path, (err as Error).message)
  }
  if (raw === null || raw === undefined) throw new CUTOVER_ERR_FLAGS_FILE_EMPTY(path)
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CUTOVER_ERR_FLAGS_FILE_INVALID(path, 'expected a mapping with "routes" (and optionally "kill")')
  }
  const doc = raw as Record<string, unknown>
  for (const key of Object.keys(doc)) {
    if (key !== 'kill' && key !== 'routes') {
      throw new CUTOVER_ERR_FLAGS_FILE_INVALID(path, `unknown top-level key ${JSON.stringify(key)}; expected "routes" and "kill"`)
    }
  }
  if (doc.kill !== undefined && typeof doc.kill !== 'boolean') {
    throw new CUTOVER_ERR_FLAGS_FILE_INVALID(path, `expected "kill" to be true or false, got ${JSON.stringify(doc.kill)}`)
  }
  const routes = new Map<string, RouteState>()
  const entries = doc.routes ?? {}
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) {
    throw new CUTOVER_ERR_FLAGS_FILE_INVALID(path, 'expected "routes" to map route ids to modes')
  }
  for (const [routeId, value] of Object.entries(entries)) {
    try {
      routes.set(routeId, toRouteState(routeId, value))
    } catch (err) {
      throw new CUTOVER_ERR_FLAGS_FILE_INVALID(path, (err as Error).message)
    }
  }
  return { kill: doc.kill === true, routes }
}

/** Writes a document back in the file's format, omitting defaults. */
export function serializeFlagsDocument(doc: FlagsDocument, path: string): string {
  const routes: Record<string, Record<string, unknown>> = {}
  for (const [routeId, state] of [...doc.routes].sort(([a], [b]) => a.localeCompare(b))) {
    const entry: Record<string, unknown> = { mode: state.mode }
    if (state.mode === 'canary' || state.percent !== (state.mode === 'on' ? 100 : 0)) entry.percent = state.percent
    if (state.mode === 'shadow' || state.shadowRate !== 0) entry.shadowRate = state.shadowRate
    if (state.groupId !== routeId) entry.groupId = state.groupId
    routes[routeId] = entry
  }
  const out = { kill: doc.kill, routes }
  return formatOf(path) === 'json' ? JSON.stringify(out, null, 2) + '\n' : stringifyYaml(out)
}
