import { createHash } from 'node:crypto'
import CachePolicy from 'http-cache-semantics'
import { MAX_LIFETIME_SECONDS } from './limits.js'
import { fieldMembers } from './personal.js'
import { targetedCacheControl } from './targeted-fields.js'
import type { RouteCacheConfig } from './route-config.js'
import type { OriginFacts, PageKey, StoredEntry } from './store.js'

/**
 * The storing and freshness rules of a `followOrigin` route: the origin's
 * caching headers decide, as they do for a shared cache (RFC 9111), except
 * where cutover is stricter on purpose (Set-Cookie is never stored; a Vary
 * names at most a few headers).
 */

type Headers = Record<string, string | string[] | number | undefined>
export type Decision<T> = ({ ok: true } & T) | { ok: false; reason: string }

export interface OriginResponse {
  status: number
  headers: Headers
  bodyBytes: number
  requestHeaders: Headers
  url: string
  /** The ETag on the response is the origin's own (not one cutover made). */
  originEtag: boolean
}

export interface OriginFreshness {
  /** Freshness lifetime less the current age, ms; 0 or less: stored stale, for revalidation. */
  ttlMs: number
  /** The response's corrected initial age, ms (RFC 9111 §4.2.3). */
  ageMs: number
  /** How long past staleAt the page is kept (stale serving or revalidation), ms. */
  keepMs: number
  facts: OriginFacts
}

/** Request headers a response may nominate in Vary beyond the route's key (RFC 9111 §4.1): more is not stored. */
export const MAX_VARY_HEADERS = 4
/** Longest normalized request value a secondary key holds; a longer one is not stored for others to match. */
export const MAX_VARY_VALUE = 256
/** A stale page with a validator is kept this long at least for a conditional request, ms. */
const MIN_REVALIDATE_KEEP_MS = 60_000
/** ... and at most this long. */
const MAX_REVALIDATE_KEEP_MS = 24 * 3600_000
/** A request header the response varies on that the request did not carry. */
const ABSENT = '\n'

/** Statuses never stored: a part (206) or a validation (304) is not the page. */
const NEVER_STORED = new Set([206, 304])

const one = (v: string | string[] | number | undefined): string | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v.join(', ') : String(v)

/**
 * Age (RFC 9111 §5.1): a non-negative integer; of a list, the first member
 * counts (`"7200, 0"` is 7200). A member with parameters keeps its integer;
 * anything else (negative, a fraction, text) is invalid and read as 0.
 */
export function parseAge(value: string | string[] | number | undefined): number {
  const first = one(value)?.split(',')[0]?.trim()
  if (first === undefined) return 0
  const m = /^(\d+)(?:\s*;.*)?$/.exec(first)
  return m ? Math.min(Number(m[1]), MAX_LIFETIME_SECONDS) : 0
}

const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)'
const TIME = '\\d\\d:\\d\\d:\\d\\d'
// Names are matched without regard to case: RFC 9110 §5.6.7 makes them case-sensitive, yet a
// recipient loses nothing reading `gmt` or `THU` as meant, while UTC, missing commas, one-digit
// hours and doubled spaces stay invalid.
const IMF_FIXDATE = new RegExp(`^${DAY}, \\d\\d ${MONTH} \\d{4} ${TIME} GMT$`, 'i')
const RFC_850 = new RegExp(`^${LONG_DAY}, (\\d\\d)-(${MONTH})-(\\d\\d) (${TIME}) GMT$`, 'i')
const ASCTIME = new RegExp(`^${DAY} ${MONTH} [ \\d]\\d ${TIME} \\d{4}$`, 'i')

/**
 * An HTTP-date in one of the three forms RFC 9110 §5.6.7 lets a recipient
 * accept, as epoch ms; undefined when it is none of them. A two-digit RFC 850
 * year more than 50 years ahead is in the past century.
 */
export function parseHttpDate(value: string, now = Date.now()): number | undefined {
  if (IMF_FIXDATE.test(value) || ASCTIME.test(value)) {
    const ms = Date.parse(value.replace(/gmt$/i, 'GMT'))
    return Number.isNaN(ms) ? undefined : ms
  }
  const m = RFC_850.exec(value)
  if (!m) return undefined
  const [, day, month, yy, time] = m as unknown as [string, string, string, string, string]
  let year = 2000 + Number(yy)
  if (year > new Date(now).getUTCFullYear() + 50) year -= 100
  const ms = Date.parse(`${day} ${month} ${year} ${time} GMT`)
  return Number.isNaN(ms) ? undefined : ms
}

/** True for an HTTP-date (see parseHttpDate). */
export function isHttpDate(value: string): boolean {
  return parseHttpDate(value) !== undefined
}

/** Header names a Connection field lists: hop-by-hop for this response, never stored (RFC 9111 §3.1). */
export function connectionListed(headers: Headers): Set<string> {
  const value = one(headers.connection)
  return new Set(value === undefined ? [] : fieldMembers(value).map((n) => n.toLowerCase()))
}

/**
 * A request header's value as a secondary key holds it (RFC 9111 §4.1: values
 * may be normalized): lines combined, members trimmed, whitespace around
 * parameters dropped, case folded. Absent is not the same as empty.
 */
export function normalizeVaryValue(value: string | string[] | undefined): string {
  if (value === undefined) return ABSENT
  const joined = Array.isArray(value) ? value.join(',') : value
  return joined
    .split(',')
    .map((m) => m.replace(/\s*([;=])\s*/g, '$1').trim().toLowerCase())
    .filter((m) => m !== '')
    .join(',')
}

/** The values of the nominated request headers, or undefined when one is over the bound. */
export function varyValues(names: readonly string[], request: Record<string, string | string[] | undefined>): Record<string, string> | undefined {
  const out: Record<string, string> = {}
  for (const name of names) {
    const v = normalizeVaryValue(request[name])
    if (v.length > MAX_VARY_VALUE) return undefined
    out[name] = v
  }
  return out
}

/** Does a request match the stored page's secondary key? */
export function variantMatches(vary: Record<string, string>, request: Record<string, string | string[] | undefined>): boolean {
  for (const name in vary) {
    if (normalizeVaryValue(request[name]) !== vary[name]) return false
  }
  return true
}

/**
 * Where a request's page is when the primary key holds a followOrigin page
 * for other values of the headers its Vary nominates: that request's
 * variant's key, and the Vary a page found there must match (its own, else
 * the primary page's). Undefined when the primary entry is the request's own.
 */
export function otherVariant(primaryEntry: StoredEntry | undefined, primary: PageKey, request: Record<string, string | string[] | undefined>): { key: PageKey; vary: Record<string, string> } | undefined {
  const vary = primaryEntry?.kind === 'page' ? primaryEntry.origin?.vary : undefined
  return vary === undefined || variantMatches(vary, request) ? undefined : { key: variantKey(primary, vary, request), vary }
}

/** Whether an entry read at `otherVariant`'s key is the request's page (else it is none). */
export function servesVariant(entry: StoredEntry | undefined, variant: { vary: Record<string, string> }, request: Record<string, string | string[] | undefined>): boolean {
  return entry?.kind === 'page' && variantMatches(entry.origin?.vary ?? variant.vary, request)
}

/** The key of one variant: the primary key and the request's values of the nominated headers. */
export function variantKey(primary: PageKey, vary: Record<string, string>, request: Record<string, string | string[] | undefined>): PageKey {
  const names = Object.keys(vary).sort()
  const parts = names.map((n) => [n, normalizeVaryValue(request[n])])
  const hash = createHash('sha256').update(primary.hash).update(JSON.stringify(parts)).digest('hex').slice(0, 40)
  return { route: primary.route, hash }
}

function headerList(value: string | string[] | number | undefined): string[] {
  const all = one(value)
  return all === undefined ? [] : all.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean)
}

/** Request headers shown to the library: the request's own Cache-Control must not decide what is stored for everyone. */
function libraryRequest(h: Headers): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) {
    const value = one(v)
    if (value !== undefined && k !== 'authorization' && k !== 'cookie' && k !== 'cache-control' && k !== 'pragma') out[k] = value
  }
  return out
}

function seconds(value: string | true | undefined): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return 0
  return Math.min(Number(value), MAX_LIFETIME_SECONDS)
}

export interface OriginPolicyInput {
  route: Pick<RouteCacheConfig, 'statuses' | 'maxBytes' | 'vary' | 'staleMs' | 'targets'>
  /** Header names keyed on every request (the origin headers): a Vary on them needs no secondary key. */
  keyed: readonly string[]
}

/**
 * May a `followOrigin` route store this response, and for how long? Read as
 * a shared cache reads it (http-cache-semantics, heuristics off), with a
 * targeted field such as CDN-Cache-Control in place of Cache-Control when the
 * route lists one (RFC 9213).
 */
export function originPolicy(input: OriginPolicyInput, res: OriginResponse, cacheControl: (value: string) => string): Decision<OriginFreshness> {
  const { route } = input
  if (!route.statuses.has(res.status) || NEVER_STORED.has(res.status)) return { ok: false, reason: `status-${res.status}` }
  if (res.headers['set-cookie'] !== undefined) return { ok: false, reason: 'set-cookie' }
  if (res.bodyBytes > route.maxBytes) return { ok: false, reason: 'too-large' }
  const vary = headerList(res.headers.vary)
  if (vary.includes('*')) return { ok: false, reason: 'vary-star' }
  const nominated = [...new Set(vary.filter((h) => !route.vary.includes(h) && !input.keyed.includes(h)))].sort()
  if (nominated.length > MAX_VARY_HEADERS) return { ok: false, reason: 'vary-bound' }
  let variant: Record<string, string> | undefined
  if (nominated.length > 0) {
    variant = varyValues(nominated, res.requestHeaders as Record<string, string | string[] | undefined>)
    if (!variant) return { ok: false, reason: 'vary-bound' }
  }

  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(res.headers)) {
    const value = one(v)
    if (value !== undefined) headers[k] = k === 'cache-control' ? cacheControl(value) : value
  }
  const targeted = targetedCacheControl(route.targets, res.headers)
  if (targeted !== undefined) {
    // RFC 9213 §2.1: a cache that uses a targeted field ignores Cache-Control and Expires.
    headers['cache-control'] = targeted
    delete headers.expires
  }
  // The library reads dates with Date.parse: it is shown the one form that reads the same everywhere.
  const expiresAt = headers.expires === undefined ? undefined : parseHttpDate(headers.expires)
  if (expiresAt !== undefined) headers.expires = new Date(expiresAt).toUTCString()
  delete headers.age // read below, by RFC 9111 §5.1 rather than by the library
  const policy = new CachePolicy(
    { url: res.url, method: 'GET', headers: libraryRequest(res.requestHeaders) },
    { status: 200, headers },
    { shared: true, cacheHeuristic: 0 },
  )
  const cc = policy.toObject().rescc as Record<string, string | true>
  if (cc['no-store'] !== undefined) return { ok: false, reason: 'no-store' }
  if (cc.private !== undefined) return { ok: false, reason: 'private' }
  if (!policy.storable()) return { ok: false, reason: 'uncacheable' }

  const noCache = cc['no-cache'] !== undefined
  const explicit = cc['max-age'] !== undefined || cc['s-maxage'] !== undefined
  // RFC 9111 §5.3: an Expires that is not a valid HTTP-date means already expired.
  const badExpires = !explicit && headers.expires !== undefined && expiresAt === undefined
  const lifetime = noCache || badExpires ? 0 : Math.min(policy.maxAge(), MAX_LIFETIME_SECONDS)
  const age = parseAge(res.headers.age)
  const ttlMs = Math.round((lifetime - age) * 1000)
  const validator = res.originEtag || headers['last-modified'] !== undefined
  const swrMs = seconds(cc['stale-while-revalidate']) * 1000
  const sieMs = seconds(cc['stale-if-error']) * 1000
  if (ttlMs <= 0 && !validator) return { ok: false, reason: noCache ? 'no-cache' : 'origin-ttl' }
  const revalidateKeep = validator ? Math.min(Math.max(lifetime * 1000, MIN_REVALIDATE_KEEP_MS), MAX_REVALIDATE_KEEP_MS) : 0
  const facts: OriginFacts = {
    etag: res.originEtag,
    mustRevalidate: noCache || cc['must-revalidate'] !== undefined || cc['proxy-revalidate'] !== undefined || cc['s-maxage'] !== undefined,
    swrMs,
    sieMs,
  }
  const date = headers.date
  if (date !== undefined && isHttpDate(date)) facts.date = date
  if (variant) facts.vary = variant
  return { ok: true, ttlMs, ageMs: age * 1000, keepMs: Math.max(route.staleMs, swrMs, sieMs, revalidateKeep), facts }
}

/**
 * May a stored page of a `followOrigin` route be served stale now (past its
 * staleAt)? Not when the origin asked for revalidation; otherwise within the
 * route's stale window or the origin's stale-while-revalidate.
 */
export function servesStale(page: { staleAt: number; origin?: OriginFacts }, staleWindowMs: number, now: number): boolean {
  const o = page.origin
  if (!o) return true
  if (o.mustRevalidate) return false
  return now < page.staleAt + Math.max(staleWindowMs, o.swrMs)
}

/** May a stale page stand in for a failed revalidation (an error status or no answer)? RFC 5861 §4. */
export function servesOnError(page: { staleAt: number; origin?: OriginFacts }, now: number): boolean {
  const o = page.origin
  return o !== undefined && !o.mustRevalidate && now < page.staleAt + o.sieMs
}
