import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify'
import { isRouteId, ROUTE_ID_RULE } from '../route-id.js'
import { CUTOVER_ERR_ROUTE_CONFIG_INVALID, CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN } from '../errors.js'
import { describeValue } from '../describe-value.js'
import { MAX_LIFETIME_SECONDS } from './limits.js'
import { DEFAULT_TARGETS } from './targeted-fields.js'

/** A route's mode when no flag source decides it. */
export type StaticMode = 'off' | 'on'

/** Tags a page is built under: a list, or computed from the request and the rendered body. */
export type TagsOption = readonly string[] | ((request: FastifyRequest, body: unknown) => readonly string[])

/**
 * Who a route's pages are for:
 * - `public`: one page for everyone; requests with credentials pass (cookies
 *   named in the plugin's `sessionCookies` excepted).
 * - `authenticated`: one page shared by every signed-in user, keyed on nothing
 *   user-specific; served only to requests the route's `user` (or the plugin's
 *   `identify`) names someone for, and sent `private` downstream.
 * - `user`: one page per user, keyed on `user`/`identify`, sent `private`.
 */
export type Audience = 'public' | 'authenticated' | 'user'

/** Who a request is for a route: a user id (a number is read as its decimal string), or undefined for no one. */
export type IdentityFn = (request: FastifyRequest) => string | number | undefined

/** What a route writes in `config.cutover`. */
export interface RouteCacheOptions {
  /** Route id, unique per app: names the route in keys, tags, flags and reports. */
  id: string
  /** Seconds a page is fresh. Required unless `followOrigin` is true. */
  ttl?: number
  /**
   * Seconds after `ttl` during which the stale page is still served at once
   * while one request refreshes it in the background.
   * @default 0
   */
  stale?: number
  /** Tags (surrogate keys) for invalidation; the route id is always a tag too. @default [] */
  tags?: TagsOption
  /** Request headers whose values are part of the key. @default [] */
  vary?: readonly string[]
  /** Query parameters that are part of the key; `true` means all of them. @default true */
  query?: readonly string[] | true
  /** Response statuses that may be stored. @default [200] */
  statuses?: readonly number[]
  /** Largest body stored, bytes. @default 1048576 */
  maxBytes?: number
  /**
   * Follow the handler's `Cache-Control` (`s-maxage`, `max-age`) and `Vary`
   * instead of `ttl`. @default false
   */
  followOrigin?: boolean
  /**
   * Targeted cache-control fields a `followOrigin` route obeys before
   * Cache-Control (RFC 9213), first match wins; `[]` reads Cache-Control only.
   * @default ['cdn-cache-control']
   */
  targets?: readonly string[]
  /**
   * Keys the page on the user: returns who the page belongs to. Only routes
   * with `user` (or `vary` naming authorization/cookie) cache requests that
   * carry Authorization or Cookie. Returning undefined bypasses the cache.
   */
  user?: IdentityFn
  /**
   * Who the route's pages are for (see Audience). With `authenticated` or
   * `user`, the route's `user` or else the plugin's `identify` says who asks.
   * @default 'user' when `user` is given, else 'public'
   */
  audience?: Audience
  /** Mode when no flag source is configured. @default 'on' */
  mode?: StaticMode
  /**
   * The page path's handler, a Fastify route handler (`this` is the
   * instance): it runs whenever a request of this route takes the page path
   * (mode on, canary-in, cutover's shadow renders and background refreshes
   * of the page path) and the page isn't answered from the cache. The legacy
   * path always runs the route's own handler, untouched. Declared as a method
   * so a handler typed for the route's request (`FastifyRequest<{ Querystring: Q }>`) fits.
   * @default the route's own handler
   */
  handler?(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply): ReturnType<RouteHandlerMethod>
}

/** The validated, frozen form the plugin works with. */
export interface RouteCacheConfig {
  readonly id: string
  readonly ttlMs: number | undefined
  readonly staleMs: number
  readonly staticTags: readonly string[]
  readonly tagsFn: ((request: FastifyRequest, body: unknown) => readonly string[]) | undefined
  readonly vary: readonly string[]
  readonly query: readonly string[] | true
  readonly statuses: ReadonlySet<number>
  readonly maxBytes: number
  readonly followOrigin: boolean
  /** Targeted cache-control fields, lower case (RFC 9213). */
  readonly targets: readonly string[]
  /** Who the request is for (the route's `user`, else the plugin's `identify`, for audiences other than public). */
  readonly user: ((request: FastifyRequest) => string | undefined) | undefined
  readonly audience: Audience
  /** True when the key holds the user (audience `user`). */
  readonly keysOnUser: boolean
  readonly mode: StaticMode
  /** The page path's handler; undefined: the route's own handler serves both paths. */
  readonly handler: RouteHandlerMethod | undefined
  /** Request headers that may carry credentials but are keyed here explicitly. */
  readonly keysOnAuthorization: boolean
  readonly keysOnCookie: boolean
}

export const ROUTE_DEFAULTS = Object.freeze({
  stale: 0,
  tags: [] as readonly string[],
  vary: [] as readonly string[],
  query: true as const,
  statuses: [200] as readonly number[],
  maxBytes: 1_048_576,
  followOrigin: false,
  targets: DEFAULT_TARGETS,
  mode: 'on' as StaticMode,
})

const KNOWN = ['id', 'ttl', 'stale', 'tags', 'vary', 'query', 'statuses', 'maxBytes', 'followOrigin', 'targets', 'user', 'audience', 'mode', 'handler']
const AUDIENCES: readonly Audience[] = ['public', 'authenticated', 'user']

/** An identity function whose numeric answers are read as decimal strings; anything but a string or a finite number is no one. */
export function identityText(identify: IdentityFn): (request: FastifyRequest) => string | undefined {
  return (request) => {
    const id = identify(request)
    if (typeof id === 'string') return id
    return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined
  }
}
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function stringList(label: string, name: string, value: unknown, pattern?: RegExp): readonly string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v.length > 0 && (!pattern || pattern.test(v)))) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, `${name} to be an array of non-empty strings`, describeValue(value))
  }
  return Object.freeze([...value] as string[])
}

function seconds(label: string, name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    const what = allowZero ? 'a number of seconds >= 0' : 'a positive number of seconds'
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, `${name} to be ${what}`, describeValue(value))
  }
  if (value > MAX_LIFETIME_SECONDS) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, `${name} to be at most ${MAX_LIFETIME_SECONDS} seconds (2^31, RFC 9111 §1.2.2)`, describeValue(value))
  }
  return value * 1000
}

function tagsOf(label: string, value: unknown): Pick<RouteCacheConfig, 'staticTags' | 'tagsFn'> {
  if (typeof value === 'function') return { staticTags: [], tagsFn: value as RouteCacheConfig['tagsFn'] }
  // Names starting with "@" are cutover's own (`@route:<id>`): a static one
  // would tie the route's pages to another route's purges.
  const tags = stringList(label, 'tags', value)
  if (tags.some((t) => t.startsWith('@'))) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'tags not to start with "@" (cutover\'s own tags, such as @route:<id>)', describeValue(value))
  }
  return { staticTags: tags, tagsFn: undefined }
}

/** What the page store can hold, as far as route options depend on it. */
export interface RouteLimits {
  /** Largest body the store can keep and read back in time; route `maxBytes` may not exceed it. */
  maxBodyBytes?: number
  /** Names the bound in errors (`"the Redis store's maxBodyBytes"`). */
  maxBodyBytesSource?: string
}

/** What a route's options are resolved against: the store's bounds and the plugin's identity function. */
export interface RouteContext extends RouteLimits {
  /** The plugin's `identify`, used by routes with an audience other than public and no `user` of their own. */
  identify?: IdentityFn | undefined
}

function audienceOf(label: string, o: Record<string, unknown>, context: RouteContext): Pick<RouteCacheConfig, 'audience' | 'user' | 'keysOnUser'> {
  if (o.user !== undefined && typeof o.user !== 'function') {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'user to be a function of the request', describeValue(o.user))
  }
  const audience = o.audience ?? (o.user === undefined ? 'public' : 'user')
  if (!AUDIENCES.includes(audience as Audience)) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'audience to be "public", "authenticated" or "user"', describeValue(o.audience))
  }
  if (audience === 'public') {
    if (o.user !== undefined) throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'no user function on a route whose audience is "public"', 'a function')
    return { audience: 'public', user: undefined, keysOnUser: false }
  }
  const identify = (o.user as IdentityFn | undefined) ?? context.identify
  if (identify === undefined) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, `a user function (or the plugin's identify option) for audience "${String(audience)}"`, 'neither')
  }
  return { audience: audience as Audience, user: identityText(identify), keysOnUser: audience === 'user' }
}

/** The route's maxBytes: its own (never above the store's bound) or the default, lowered to the store's bound. */
function maxBytesOf(label: string, value: unknown, limits: RouteLimits): number {
  const limit = limits.maxBodyBytes ?? Number.MAX_SAFE_INTEGER
  if (value === undefined) return Math.min(ROUTE_DEFAULTS.maxBytes, limit)
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'maxBytes to be a positive integer', describeValue(value))
  }
  if (value > limit) {
    const source = limits.maxBodyBytesSource ?? "the page store's maxBodyBytes"
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, `maxBytes to be at most ${limit} (${source})`, describeValue(value))
  }
  return value
}

/**
 * Validates a route's `config.cutover` and merges it over the defaults.
 * `label` names the route in errors (`"products.list" (GET /api/products)`);
 * `limits` are the page store's bounds.
 */
export function resolveRouteConfig(label: string, raw: unknown, context: RouteContext = {}): RouteCacheConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'config.cutover to be an object or false', describeValue(raw))
  }
  const input = raw as Record<string, unknown>
  for (const key of Object.keys(input)) {
    if (!KNOWN.includes(key)) throw new CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN(label, key, KNOWN.join(', '))
  }
  const o: Record<string, unknown> = { ...ROUTE_DEFAULTS, ...input }
  if (!isRouteId(o.id)) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, `id to be ${ROUTE_ID_RULE}`, describeValue(o.id))
  }
  label = `"${o.id}" ${label}`
  if (typeof o.followOrigin !== 'boolean') throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'followOrigin to be a boolean', describeValue(o.followOrigin))
  if (o.ttl === undefined && !o.followOrigin) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'ttl to be a positive number of seconds (or followOrigin: true)', 'undefined')
  }
  const ttlMs = o.ttl === undefined ? undefined : seconds(label, 'ttl', o.ttl, false)
  const vary = stringList(label, 'vary', o.vary, HEADER_NAME).map((h) => h.toLowerCase())
  const query = o.query === true ? true : stringList(label, 'query', o.query)
  if (!Array.isArray(o.statuses) || o.statuses.length === 0 || !o.statuses.every((s) => Number.isInteger(s) && s >= 200 && s <= 599)) {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'statuses to be a non-empty array of HTTP statuses (200-599)', describeValue(o.statuses))
  }
  const who = audienceOf(label, o, context)
  if (o.mode !== 'on' && o.mode !== 'off') throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'mode to be "on" or "off"', describeValue(o.mode))
  if (o.handler !== undefined && typeof o.handler !== 'function') {
    throw new CUTOVER_ERR_ROUTE_CONFIG_INVALID(label, 'handler to be a function (the page path\'s route handler)', describeValue(o.handler))
  }
  return Object.freeze({
    id: o.id,
    ttlMs,
    staleMs: seconds(label, 'stale', o.stale, true),
    ...tagsOf(label, o.tags),
    vary: Object.freeze(vary),
    query,
    statuses: new Set(o.statuses as number[]),
    maxBytes: maxBytesOf(label, input.maxBytes, context),
    followOrigin: o.followOrigin,
    targets: Object.freeze(stringList(label, 'targets', o.targets, HEADER_NAME).map((h) => h.toLowerCase())),
    ...who,
    mode: o.mode,
    handler: o.handler as RouteCacheConfig['handler'],
    // A shared page for signed-in users is, by the route's declaration, the
    // same whoever signed in: the credentials only gate it (see requestPolicy).
    keysOnAuthorization: who.audience !== 'public' || vary.includes('authorization'),
    keysOnCookie: who.keysOnUser || vary.includes('cookie'),
  })
}
