import { createHash } from 'node:crypto'

/** Bump when the key layout changes, so old entries are never read as new ones. */
export const KEY_VERSION = 'k1'

/** How the app's router treats paths; the key normalizes exactly as the router matches. */
export interface PathRules {
  ignoreTrailingSlash: boolean
  ignoreDuplicateSlashes: boolean
  caseSensitive: boolean
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
  if (!rules.caseSensitive) path = path.toLowerCase()
  return path === '' ? '/' : path
}

function queryValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))
  return value === undefined ? null : value
}

/** Allow-listed query pairs, sorted by name; repeated values keep their order. */
export function keyedQuery(query: unknown, allow: readonly string[] | true): Array<[string, unknown]> {
  const source = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {}
  const names = allow === true ? Object.keys(source) : allow.filter((n) => source[n] !== undefined)
  return [...new Set(names)].sort().map((n) => [n, queryValue(source[n])])
}

function headerValue(value: string | string[] | undefined): string | null {
  if (value === undefined) return null
  return (Array.isArray(value) ? value.join(', ') : value).trim()
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
    input.user ?? null,
  ]
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 40)
}
