import { createHash } from 'node:crypto'
import type { FastifyBaseLogger, FastifyRequest } from 'fastify'
import type { GuardedStore } from './guarded-store.js'
import type { RouteCacheConfig } from './route-config.js'

/** Every page is built under its route's tag, so a route can be purged like any tag. */
export const routeTag = (routeId: string): string => `@route:${routeId}`

/**
 * Every page of a `followOrigin` route is built under the tag of its URI's
 * host and path (every query and every variant of it), so an unsafe request
 * to that URI, or one whose response names it in Location or
 * Content-Location, can invalidate them all (RFC 9111 §4.4).
 */
export const uriTag = (host: string, path: string): string =>
  `@uri:${createHash('sha256').update(`${host.toLowerCase()}\n${path}`).digest('base64url').slice(0, 22)}`

type TagStates = Pick<GuardedStore, 'tagStates'>

/**
 * The current versions of the tags a route's render is built under before its
 * body exists: the route tag, static tags, and for a `followOrigin` route the
 * URI tag (`uri`, see uriTag).
 */
export async function renderTagVersions(guard: TagStates, route: RouteCacheConfig, uri?: string): Promise<Record<string, number>> {
  const tags = [routeTag(route.id), ...route.staticTags]
  if (uri !== undefined) tags.push(uri)
  const states = await guard.tagStates(tags)
  return Object.fromEntries(tags.map((t) => [t, states[t]?.version ?? 0]))
}

export interface BodyTagsInput {
  route: RouteCacheConfig
  request: FastifyRequest
  body: Buffer
  headers: Record<string, unknown>
  /** The versions known so far (from renderTagVersions). */
  versions: Record<string, number>
}

/** The tags a page is stored under: `versions` as known, and `fresh`, computed from its body, whose versions are still to be read. */
export interface BodyTags {
  versions: Record<string, number>
  fresh: string[]
}

/**
 * The tags computed from the rendered body (the route's tags function), on
 * top of those known before the render; undefined when they can't be
 * computed, and then the page is not stored. No I/O: the versions of the
 * fresh ones are read by readFreshTags.
 */
export function bodyTags(log: FastifyBaseLogger, input: BodyTagsInput): BodyTags | undefined {
  const { route, request, body, headers, versions } = input
  if (!route.tagsFn) return { versions, fresh: [] }
  try {
    const type = String(headers['content-type'] ?? '')
    const text = body.toString('utf8')
    const parsed: unknown = type.includes('json') ? JSON.parse(text) : text
    const tags = [...new Set(route.tagsFn(request, parsed))].filter((t) => typeof t === 'string' && t.length > 0 && !t.startsWith('@'))
    return { versions, fresh: tags.filter((t) => versions[t] === undefined) }
  } catch (err) {
    log.warn({ err, route: route.id }, 'cutover: tags could not be computed; page not stored')
    return undefined
  }
}

/** Every tag's version: the known ones, and the fresh ones as the store has them now. */
export async function readFreshTags(guard: TagStates, tags: BodyTags): Promise<Record<string, number>> {
  if (tags.fresh.length === 0) return tags.versions
  const states = await guard.tagStates(tags.fresh)
  return { ...tags.versions, ...Object.fromEntries(tags.fresh.map((t) => [t, states[t]?.version ?? 0])) }
}
