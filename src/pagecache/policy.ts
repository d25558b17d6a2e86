import CachePolicy from 'http-cache-semantics'
import { isOriginForm, ORIGIN_HEADERS } from './key.js'
import { originPolicy } from './origin-policy.js'
import { fieldMembers } from './personal.js'
import type { RouteCacheConfig } from './route-config.js'
import { onlySessionCookies, setsOnlySessionCookies, type SessionCookies } from './session-cookies.js'

const NO_SESSION_COOKIES: SessionCookies = new Set()

type Headers = Record<string, string | string[] | number | undefined>

export type Decision<T> = ({ ok: true } & T) | { ok: false; reason: string }

export interface RequestFacts {
  method: string
  /** The request-target as received (`request.url`). */
  url: string
  headers: Headers
}

/**
 * Headers that ask a framework layer to treat the request as another URL or
 * method. Browsers never send them; an attacker does, to get a page rendered
 * for one URL stored under another. Keying on them would let that through for
 * anyone who also sends them, so they bypass the cache unless the route lists
 * them in `vary`.
 */
export const OVERRIDE_HEADERS = Object.freeze([
  'x-original-url',
  'x-rewrite-url',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
])

/**
 * May this request be answered from, or written to, the cache? Credentials make
 * a page personal (RFC 9111 §3.5): such requests pass unless the route keys on
 * the user explicitly. So do requests carrying a request-rewriting header the
 * route does not key on, and request-targets that are not in origin-form
 * (see isOriginForm). A Cookie header holding only declared session cookies
 * (`sessionCookies`) does not make the request personal: the app declared
 * that no cached page depends on them (the routes that do depend on the
 * session say so with their audience).
 */
export function requestPolicy(route: RouteCacheConfig, req: RequestFacts, sessionCookies: SessionCookies = NO_SESSION_COOKIES): Decision<object> {
  if (req.method !== 'GET' && req.method !== 'HEAD') return { ok: false, reason: 'method' }
  if (!isOriginForm(req.url)) return { ok: false, reason: 'request-target' }
  if (req.headers.authorization !== undefined && !route.keysOnAuthorization) return { ok: false, reason: 'authorization' }
  if (req.headers.cookie !== undefined && !route.keysOnCookie && !onlySessionCookies(req.headers.cookie, sessionCookies)) {
    return { ok: false, reason: 'cookie' }
  }
  for (let i = 0; i < OVERRIDE_HEADERS.length; i++) {
    const header = OVERRIDE_HEADERS[i]!
    if (req.headers[header] !== undefined && !route.vary.includes(header)) return { ok: false, reason: `override-header-${header}` }
  }
  return ALLOWED
}

/** requestPolicy's yes, one object for every request. */
const ALLOWED: Decision<object> = Object.freeze({ ok: true })

/** Headers whose whole value is part of every key (Forwarded is keyed only in part). */
export const KEYED_ORIGIN = ORIGIN_HEADERS.filter((h) => h !== 'forwarded')

export interface ResponseFacts {
  status: number
  headers: Headers
  bodyBytes: number
  /** Request headers, for the Cache-Control library's view of the exchange. */
  requestHeaders: Headers
  url: string
  /** Declared session cookies: a Set-Cookie setting only these is left out of the stored copy instead of refusing it. */
  sessionCookies?: SessionCookies
}

/** How long to keep a storable page. */
export interface Freshness {
  ttlMs: number
  staleMs: number
}

function headerList(value: string | string[] | number | undefined): string[] {
  if (value === undefined) return []
  const all = Array.isArray(value) ? value.join(',') : String(value)
  return all.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean)
}

/**
 * The library judges the response, not the request: credentials were judged
 * by requestPolicy, and a client's own Cache-Control or Pragma must not decide
 * what is stored for everyone. Honouring a request's no-store would let one
 * request per pass window keep a page out of the cache for every client;
 * the page cache answers for the origin, whose pages all share one entry.
 */
const REQUEST_HEADERS_IGNORED = new Set(['authorization', 'cookie', 'cache-control', 'pragma'])

function policyRequestHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined && !REQUEST_HEADERS_IGNORED.has(k)) out[k] = Array.isArray(v) ? v.join(', ') : String(v)
  }
  return out
}

/**
 * Cache-Control with every directive name in lower case (RFC 9111 §5.2:
 * names are case-insensitive). http-cache-semantics compares them as sent, so
 * `Private` or `NO-STORE` would otherwise read as directives it doesn't know,
 * and a personal page would be stored for everyone. Values keep their case.
 */
export function foldedCacheControl(value: string): string {
  return fieldMembers(value)
    .map((member) => {
      const eq = member.indexOf('=')
      return eq === -1 ? member.toLowerCase() : member.slice(0, eq).trim().toLowerCase() + member.slice(eq)
    })
    .join(', ')
}

/**
 * The response headers as the library is shown them: one string per field (a
 * header set as an array, which Fastify allows, is one list; RFC 9110 §5.3),
 * Cache-Control folded to lower-case names.
 */
function libraryHeaders(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    // Set-Cookie was judged already (responsePolicy) and is never stored: a
    // session cookie's field left out must not zero a followOrigin lifetime.
    if (v === undefined || k === 'set-cookie') continue
    const value = Array.isArray(v) ? v.join(', ') : String(v)
    out[k] = k === 'cache-control' ? foldedCacheControl(value) : value
  }
  return out
}

/**
 * May this response be stored, and for how long? Cache-Control is read by
 * http-cache-semantics as a shared cache with heuristics off; the route's own
 * status list decides statuses, so the library is shown a 200. Set-Cookie is
 * never stored, not even with `public`: a response setting a cookie other than
 * a declared session cookie is not stored at all, one setting only session
 * cookies is stored without the field (see setsOnlySessionCookies); a `Vary` naming a header the key does
 * not include is refused, since one variant would be served to everyone.
 * A `followOrigin` route follows originPolicy instead.
 */
export function responsePolicy(route: RouteCacheConfig, res: ResponseFacts): Decision<Freshness> {
  if (route.followOrigin) {
    const d = originPolicy({ route, keyed: KEYED_ORIGIN }, { ...res, originEtag: typeof res.headers.etag === 'string' }, foldedCacheControl)
    if (!d.ok) return d
    // A page stored only to be revalidated has no fresh lifetime to report.
    return d.ttlMs > 0 ? { ok: true, ttlMs: d.ttlMs, staleMs: route.staleMs } : { ok: false, reason: 'origin-ttl' }
  }
  if (!route.statuses.has(res.status)) return { ok: false, reason: `status-${res.status}` }
  const setCookie = res.headers['set-cookie']
  if (setCookie !== undefined && !setsOnlySessionCookies(setCookie, res.sessionCookies ?? NO_SESSION_COOKIES)) return { ok: false, reason: 'set-cookie' }
  if (res.bodyBytes > route.maxBytes) return { ok: false, reason: 'too-large' }
  const vary = headerList(res.headers.vary)
  if (vary.includes('*')) return { ok: false, reason: 'vary-star' }
  const unkeyed = vary.find((h) => !route.vary.includes(h) && !KEYED_ORIGIN.includes(h))
  if (unkeyed !== undefined) return { ok: false, reason: `vary-unkeyed-${unkeyed}` }

  const policy = new CachePolicy(
    { url: res.url, method: 'GET', headers: policyRequestHeaders(res.requestHeaders) },
    { status: 200, headers: libraryHeaders(res.headers) },
    { shared: true, cacheHeuristic: 0 },
  )
  const cc = policy.toObject().rescc as Record<string, string | true>
  if (cc['no-store'] !== undefined) return { ok: false, reason: 'no-store' }
  if (cc.private !== undefined) return { ok: false, reason: 'private' }
  if (!policy.storable()) return { ok: false, reason: 'uncacheable' }
  if (cc['no-cache'] !== undefined) return { ok: false, reason: 'no-cache' }
  return { ok: true, ttlMs: route.ttlMs ?? 0, staleMs: route.staleMs }
}

/**
 * XFetch (Vattani et al., "Optimal Probabilistic Cache Stampede Prevention"):
 * refresh early with a probability that rises as expiry nears, scaled by how
 * long a render takes, so a hot page is re-rendered before it expires and
 * never by every request at once. `random` is injectable for tests.
 */
export function shouldRefreshEarly(
  page: { staleAt: number; renderMs: number },
  now: number,
  beta = 1,
  random: () => number = Math.random,
): boolean {
  if (page.renderMs <= 0 || beta <= 0) return now >= page.staleAt
  const r = random()
  return now - page.renderMs * beta * Math.log(r > 0 ? r : Number.MIN_VALUE) >= page.staleAt
}

/** Whether a stored page may be served: fresh, stale (serve and refresh), or gone (a miss). */
export type PageStanding = 'fresh' | 'stale' | 'gone'

/** What the tag states say of a page built under some tags: purged hard, purged soft, or neither. */
export type TagVerdict = 'hard' | 'soft' | 'current'

/** Compares the versions a page was built under (`tags`) with the tags' current states. */
export function tagVerdict(tags: Record<string, number>, states: Record<string, { version: number; hard: number }>): TagVerdict {
  let verdict: TagVerdict = 'current'
  // for...in: a list page has a hundred tags, and Object.entries would build a pair for each on every hit.
  for (const tag in tags) {
    const state = states[tag]
    if (state === undefined) continue // never purged: version 0, hard 0
    const built = tags[tag]!
    if (state.hard > built) return 'hard'
    if (state.version > built) verdict = 'soft'
  }
  return verdict
}

/**
 * True when `states` holds a state for every tag of `tags`: a tag missing
 * from an answer reads as never purged, so a partial answer must not be judged.
 */
export function coversTags(states: Record<string, unknown>, tags: Record<string, number>): boolean {
  for (const tag in tags) if (!Object.hasOwn(states, tag)) return false
  return true
}

/**
 * Judges a stored page against the current states of the tags it was built
 * under. A hard purge after the render makes it gone; a soft purge makes it
 * expired at the purge, so it is served stale only where the route has a stale
 * window; otherwise its own `staleAt`/`deleteAt` decide.
 */
export function pageStanding(
  page: { tags: Record<string, number>; staleAt: number; deleteAt: number },
  states: Record<string, { version: number; hard: number }>,
  staleWindowMs: number,
  now: number,
): PageStanding {
  return standingOf(tagVerdict(page.tags, states), page, staleWindowMs, now)
}

/** pageStanding with the tags already judged. */
export function standingOf(verdict: TagVerdict, page: { staleAt: number; deleteAt: number }, staleWindowMs: number, now: number): PageStanding {
  if (verdict === 'hard' || now >= page.deleteAt) return 'gone'
  if (verdict === 'current') return now < page.staleAt ? 'fresh' : 'stale'
  return staleWindowMs > 0 ? 'stale' : 'gone'
}
