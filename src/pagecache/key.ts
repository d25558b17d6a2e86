import { createHash } from 'node:crypto'

/** Bump when the key layout changes, so old entries are never read as new ones. */
export const KEY_VERSION = 'k2'

/**
 * Request headers that name the origin the client asked for (scheme, host,
 * port, path prefix): with the path they make the target URI, which is the
 * cache key (RFC 9111 §4). Apps build absolute links from them (Fastify's
 * `request.host` and `request.protocol` read them under `trustProxy`), so they
 * are always keyed: a forged value only ever lands in the forger's own entry,
 * while a proxy that sets them on every request splits nothing.
 */
export const ORIGIN_HEADERS = Object.freeze([
  'host',
  ':authority',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-host',
  'forwarded',
])

/**
 * How the app's router treats paths; the key folds exactly the variants the
 * router folds into the same params. Case is never folded: a case-insensitive
 * router keeps the case of params (`/u/Alice` and `/u/alice` both match
 * `/u/:name` with different names), so folding it would serve one to the other.
 */
export interface PathRules {
  ignoreTrailingSlash: boolean
  ignoreDuplicateSlashes: boolean
}

export interface KeyInput {
  routeId: string
  /** The raw request URL (path and query) as received. */
  url: string
  /** The query as the route's handler sees it (Fastify's parsed `request.query`). */
  query: unknown
  /** Allow-listed query parameter names, or true for every parameter. */
  queryAllow: readonly string[] | true
  /** Request headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>
  /** Header names (lower-case) whose values are part of the key. */
  vary: readonly string[]
  /** Who the page belongs to, when the route keys on the user. */
  user?: string | undefined
  rules: PathRules
}

const UNRESERVED = /[A-Za-z0-9\-._~]/

/**
 * RFC 3986 §6.2.2: percent-encoded unreserved characters are decoded and the
 * remaining escapes upper-cased, so `/a%2db` and `/a-b` are one page while
 * `/a%2Fb` stays distinct from `/a/b`. Malformed escapes are kept verbatim.
 */
export function normalizePath(rawUrl: string, rules: PathRules): string {
  const end = rawUrl.search(/[?#]/)
  let path = end === -1 ? rawUrl : rawUrl.slice(0, end)
  path = path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16))
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`
  })
  if (rules.ignoreDuplicateSlashes) path = path.replace(/\/{2,}/g, '/')
  if (rules.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return path === '' ? '/' : path
}

// Values keep their type: the key's JSON tells the object {"b":"1"} from the
// string '{"b":"1"}', which a nested query parser yields for different URLs.
function queryValue(value: unknown): unknown {
  return value === undefined ? null : value
}

/** Allow-listed query pairs, sorted by name; repeated values keep their order. */
export function keyedQuery(query: unknown, allow: readonly string[] | true): Array<[string, unknown]> {
  const source = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {}
  const names = allow === true ? Object.keys(source) : allow.filter((n) => source[n] !== undefined)
  return [...new Set(names)].sort().map((n) => [n, queryValue(source[n])])
}

function decodedName(segment: string): string {
  const raw = segment.split('=', 1)[0] ?? ''
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return raw
  }
}

/**
 * The request as a route with a query allow-list renders it for the cache: the
 * URL and the parsed query keep only the allow-listed parameters (in the order
 * and encoding sent). Parameters outside the list are not in the key, so a
 * render that may be stored must not see them either, or the first
 * requester's `?callback=...` would be stored for everyone.
 */
export function allowListedRequest(
  url: string,
  query: unknown,
  allow: readonly string[],
): { url: string; query: Record<string, unknown> } {
  const at = url.indexOf('?')
  const kept = at === -1 ? [] : url.slice(at + 1).split('&').filter((s) => s !== '' && allow.includes(decodedName(s)))
  const path = at === -1 ? url : url.slice(0, at)
  const source = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {}
  const entries = allow.filter((n) => Object.hasOwn(source, n)).map((n) => [n, source[n]] as const)
  return { url: kept.length > 0 ? `${path}?${kept.join('&')}` : path, query: Object.fromEntries(entries) }
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null
  return (Array.isArray(value) ? value.join(', ') : value).trim()
}

/**
 * An origin header's keyed value. Host names are case-insensitive; `Forwarded`
 * (RFC 7239) loses its per-client `for=` parameters, which would otherwise give
 * every client its own entry behind a proxy that sets them.
 */
function originValue(name: string, value: string | string[] | undefined): string | null {
  const v = headerValue(value)
  if (v === null) return null
  if (name === 'forwarded') return v.replace(/(^|[;,])\s*for=("[^"]*"|[^;,]*)/gi, '$1').toLowerCase()
  return name === 'host' || name === ':authority' || name.endsWith('-host') ? v.toLowerCase() : v
}

/**
 * The cache key of a request: a hash over a JSON array of every keyed part,
 * so no value can spill into another part (no delimiter or key injection).
 * HEAD is answered from the GET entry, so the method is not a part.
 */
export function pageKeyHash(input: KeyInput): string {
  const parts = [
    KEY_VERSION,
    input.routeId,
    normalizePath(input.url, input.rules),
    keyedQuery(input.query, input.queryAllow),
    input.vary.map((name) => [name, headerValue(input.headers[name])]),
    ORIGIN_HEADERS.filter((name) => !input.vary.includes(name)).map((name) => [name, originValue(name, input.headers[name])]),
    input.user ?? null,
  ]
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40)
}
