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

/**
 * Adds the versions of tags computed from the rendered body (the route's tags
 * function); undefined when they can't be had, and then the page is not stored.
 */
export async function withBodyTags(
  guard: TagStates,
  log: FastifyBaseLogger,
  input: BodyTagsInput,
): Promise<Record<string, number> | undefined> {
  const { route, request, body, headers, versions } = input
  if (!route.tagsFn) return versions
  try {
    const type = String(headers['content-type'] ?? '')
    const text = body.toString('utf8')
    const parsed: unknown = type.includes('json') ? JSON.parse(text) : text
    const tags = [...new Set(route.tagsFn(request, parsed))].filter((t) => typeof t === 'string' && t.length > 0 && !t.startsWith('@'))
    const fresh = tags.filter((t) => versions[t] === undefined)
    if (fresh.length === 0) return versions
    const states = await guard.tagStates(fresh)
    return { ...versions, ...Object.fromEntries(fresh.map((t) => [t, states[t]?.version ?? 0])) }
  } catch (err) {
    log.warn({ err, route: route.id }, 'cutover: tags could not be computed; page not stored')
    return undefined
  }
}
