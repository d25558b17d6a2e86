import { createHash } from 'node:crypto'

/**
 * Version of how a request becomes a page key (the keyed parts and their
 * normalization), hashed into every key: bump it when that changes, so old
 * entries are never read as new ones. Not the Redis layout's version
 * (`LAYOUT_VERSION` in keys.ts, the `v1` in key names).
 */
export const KEY_DERIVATION_VERSION = 'k2'

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
  if (path.includes('%')) path = path.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16))
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`
  })
  if (rules.ignoreDuplicateSlashes && path.includes('//')) path = path.replace(/\/{2,}/g, '/')
  if (rules.ignoreTrailingSlash && path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  return path === '' ? '/' : path
}

// Values keep their type: the key's JSON tells the object {"b":"1"} from the
// string '{"b":"1"}', which a nested query parser yields for different URLs.
function queryValue(value: unknown): unknown {
  return value === undefined ? null : value
}

/** Array.prototype.sort's default order for strings (UTF-16 code units), without its conversions. */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Allow-listed query pairs, sorted by name; repeated values keep their order. */
export function keyedQuery(query: unknown, allow: readonly string[] | true): Array<[string, unknown]> {
  const source = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {}
  let names: string[]
  if (allow === true) names = Object.keys(source)
  else {
    names = []
    for (let i = 0; i < allow.length; i++) if (source[allow[i]!] !== undefined) names.push(allow[i]!)
  }
  const pairs: Array<[string, unknown]> = []
  if (names.length > 1) names.sort(byCodeUnits)
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!
    // An allow-list may name a parameter twice: once in the key (sorted, so repeats are adjacent).
    if (i > 0 && name === names[i - 1]) continue
    pairs.push([name, queryValue(source[name])])
  }
  return pairs
}

/** A query component decoded as Fastify's default parser decodes it: `+` is a space, a malformed escape stays as sent. */
function decodeComponent(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ')
  try {
    return decodeURIComponent(spaced)
  } catch {
    return spaced
  }
}

/**
 * An origin-form request-target (RFC 9112 §3.2.1: an absolute path and an
 * optional query). A raw `#` is not allowed anywhere in it, yet Fastify's
 * router cuts the path there and parses what follows as the query, while the
 * handler still sees it in `request.url`; absolute-form (`GET http://host/p`)
 * and asterisk-form name no path of this origin. Such requests bypass the
 * cache: no browser sends them, and what a handler would echo of them is not
 * what any key holds.
 */
export function isOriginForm(url: string): boolean {
  return url.charCodeAt(0) === 47 /* / */ && !url.includes('#')
}

/**
 * The request as the handler of a render that may be stored sees it: exactly
 * what the key holds, so nothing the key folds or leaves out can reach the
 * stored page through `request.url` (RFC 9111 §4: the key is the target URI).
 *
 * - The path is the key's normalized path: `//evil.example/p` under
 *   `ignoreDuplicateSlashes` is keyed as `/evil.example/p`, and a handler
 *   echoing the URL as sent would store a protocol-relative link to another
 *   host in the page everyone asking for `/evil.example/p` gets.
 * - The query keeps only keyed parameters (all, or the allow-list), sorted by
 *   name (repeats keep their order) and percent-encoded one way, since the key
 *   holds decoded values: `?q=<script>` and `?q=%3Cscript%3E` are one page, so
 *   whichever came first must not decide whether the stored page carries the
 *   raw markup.
 * - `request.query` keeps the parsed values; with an allow-list it keeps only
 *   the allow-listed ones.
 */
export function renderedRequest(
  url: string,
  query: unknown,
  allow: readonly string[] | true,
  rules: PathRules,
): { url: string; query: unknown } {
  const at = url.indexOf('?')
  const pairs = (at === -1 ? [] : url.slice(at + 1).split('&'))
    .filter((segment) => segment !== '')
    .map((segment) => {
      const eq = segment.indexOf('=')
      const name = decodeComponent(eq === -1 ? segment : segment.slice(0, eq))
      return { name, value: eq === -1 ? '' : decodeComponent(segment.slice(eq + 1)) }
    })
    .filter((pair) => allow === true || allow.includes(pair.name))
  // Array.prototype.sort is stable: repeated names keep the order they were sent in.
  pairs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  const search = pairs.map((p) => `${encodeURIComponent(p.name)}=${encodeURIComponent(p.value)}`).join('&')
  const path = normalizePath(url, rules)
  const canonical = search === '' ? path : `${path}?${search}`
  if (allow === true) return { url: canonical, query }
  const source = query !== null && typeof query === 'object' ? (query as Record<string, unknown>) : {}
  const entries = allow.filter((n) => Object.hasOwn(source, n)).map((n) => [n, source[n]] as const)
  return { url: canonical, query: Object.fromEntries(entries) }
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
  const { vary, rules } = input
  // A route's own inputs (frozen): last seen by URL, then by memo text, then the key text.
  if (!Object.isFrozen(vary) || !Object.isFrozen(rules)) return hashOfKeyText(pageKeyText(input))
  const pairs = keyedQuery(input.query, input.queryAllow)
  const seen = seenByUrl.get(input.url)
  if (seen !== undefined && sameInputs(seen, input, pairs)) return seen.hash
  const memoText = keyMemoText(input, pairs)!
  let hash = hashMemo.get(memoText)
  if (hash === undefined) {
    hash = hashOfKeyText(pageKeyText(input))
    remember(memoText, hash)
  }
  rememberInputs(input, pairs, hash)
  return hash
}

/**
 * A request's key inputs as they came (query pairs and header values before
 * any normalizing), the last seen for a URL, with the hash of its key. The
 * key text is a function of these alone, so a request with the same ones
 * has the same key, and a hit on a hot page finds its hash by comparing them
 * instead of writing any text. Only values compared by `===` are kept:
 * strings and other primitives, and copies of arrays of them.
 */
interface SeenInputs {
  routeId: string
  rules: PathRules
  queryAllow: readonly string[] | true
  vary: readonly string[]
  user: string | undefined
  pairs: ReadonlyArray<readonly [string, unknown]>
  /** Raw values of the `vary` headers, then of the origin headers beside them. */
  headers: readonly unknown[]
  hash: string
}
const seenByUrl = new Map<string, SeenInputs>()

const isPrimitive = (value: unknown): boolean => value === null || (typeof value !== 'object' && typeof value !== 'function')

/** A value kept as it is compared: a primitive, a copy of an array of primitives; undefined (a boxed marker) for anything else. */
function keptValue(value: unknown): { value: unknown } | undefined {
  if (isPrimitive(value)) return { value }
  if (Array.isArray(value) && value.every(isPrimitive)) return { value: [...value] }
  return undefined
}

/** The same input as kept: equal primitives, or arrays of equal primitives. */
function sameValue(kept: unknown, value: unknown): boolean {
  if (!Array.isArray(value)) return kept === value && isPrimitive(value)
  if (!Array.isArray(kept) || kept.length !== value.length) return false
  for (let i = 0; i < value.length; i++) if (kept[i] !== value[i] || !isPrimitive(value[i])) return false
  return true
}

function sameInputs(seen: SeenInputs, input: KeyInput, pairs: ReadonlyArray<readonly [string, unknown]>): boolean {
  if (seen.routeId !== input.routeId || seen.rules !== input.rules || seen.queryAllow !== input.queryAllow || seen.vary !== input.vary || seen.user !== input.user) return false
  if (seen.pairs.length !== pairs.length) return false
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!
    const kept = seen.pairs[i]!
    if (kept[0] !== name || !sameValue(kept[1], value)) return false
  }
  const { vary, headers } = input
  let at = 0
  for (let i = 0; i < vary.length; i++) if (!sameValue(seen.headers[at++], headers[vary[i]!])) return false
  const origins = originHeadersBeside(vary)
  for (let i = 0; i < origins.length; i++) if (!sameValue(seen.headers[at++], headers[origins[i]!])) return false
  return true
}

/** The longest texts and inputs the memos keep (in UTF-16 units): hot pages have short URLs, and a client's long ones must not fill memory. */
export const MEMO_MAX_CHARS = 2048

/** Characters a kept value holds (strings alone count; other primitives are small). */
const charsOf = (value: unknown): number => (typeof value === 'string' ? value.length : Array.isArray(value) ? value.reduce((n: number, v) => n + charsOf(v), 0) : 0)

function rememberInputs(input: KeyInput, pairs: ReadonlyArray<readonly [string, unknown]>, hash: string): void {
  let chars = input.url.length
  const keptPairs: Array<readonly [string, unknown]> = []
  for (const [name, value] of pairs) {
    const kept = keptValue(value)
    if (kept === undefined) return
    keptPairs.push([name, kept.value])
    chars += name.length + charsOf(kept.value)
  }
  const keptHeaders: unknown[] = []
  for (const name of [...input.vary, ...originHeadersBeside(input.vary)]) {
    const kept = keptValue(input.headers[name])
    if (kept === undefined) return
    keptHeaders.push(kept.value)
    chars += charsOf(kept.value)
  }
  if (chars > MEMO_MAX_CHARS) return
  keep(seenByUrl, input.url, {
    routeId: input.routeId, rules: input.rules, queryAllow: input.queryAllow, vary: input.vary, user: input.user,
    pairs: keptPairs, headers: keptHeaders, hash,
  })
}

/** A number per frozen `vary` array (one per route): the memo text's stand-in for the header names it implies. */
const varyIds = new WeakMap<readonly string[], number>()
let nextVaryId = 0

/**
 * What the hash memo knows a request's key by: only the parts of the key
 * text that change from request to request (route id, path, query, header
 * values, user), each the same JSON as in the text, joined by commas, after
 * a number standing for the route's `vary` list; of the origin headers only
 * those present, each after its place in the list. The header names and the
 * brackets the text adds are the same for every request with that list, so
 * two requests with one memo text have one key text (tested); the memo text
 * is about a fifth as long, and the memo's lookup hashes and compares it on
 * every hit. Undefined for a `vary` list that is not frozen (it could change
 * under its number).
 */
export function keyMemoText(input: KeyInput, pairs = keyedQuery(input.query, input.queryAllow)): string | undefined {
  const { vary, headers } = input
  if (!Object.isFrozen(vary)) return undefined
  let id = varyIds.get(vary)
  if (id === undefined) {
    id = nextVaryId++
    varyIds.set(vary, id)
  }
  let text = `${id},${JSON.stringify(input.routeId)},${JSON.stringify(normalizePath(input.url, input.rules))},[`
  for (let i = 0; i < pairs.length; i++) {
    const [name, value] = pairs[i]!
    text += `${i === 0 ? '' : ','}[${JSON.stringify(name)},${jsonElement(value)}]`
  }
  text += ']'
  for (let i = 0; i < vary.length; i++) text += `,${jsonElement(headerValue(headers[vary[i]!]))}`
  // The origin headers a request carries, each as its place in the route's list and its value; most carry one (Host).
  text += ',['
  const origins = originHeadersBeside(vary)
  for (let i = 0; i < origins.length; i++) {
    const name = origins[i]!
    const value = headers[name]
    if (value !== undefined) text += `${i},${jsonElement(originValue(name, value))},`
  }
  return `${text}],${jsonElement(input.user ?? null)}`
}

/** The origin headers a route keys on outside its `vary` list, by frozen `vary` array (one per route). */
const unvariedOrigins = new WeakMap<readonly string[], readonly string[]>()

function originHeadersBeside(vary: readonly string[]): readonly string[] {
  if (!Object.isFrozen(vary)) return ORIGIN_HEADERS.filter((name) => !vary.includes(name))
  let names = unvariedOrigins.get(vary)
  if (names === undefined) {
    names = ORIGIN_HEADERS.filter((name) => !vary.includes(name))
    unvariedOrigins.set(vary, names)
  }
  return names
}

/**
 * Every keyed part of a request, in order: the definition of the key.
 * pageKeyText is this array as JSON.
 */
export function pageKeyParts(input: KeyInput): unknown[] {
  return [
    KEY_DERIVATION_VERSION,
    input.routeId,
    normalizePath(input.url, input.rules),
    keyedQuery(input.query, input.queryAllow),
    input.vary.map((name) => [name, headerValue(input.headers[name])]),
    originHeadersBeside(input.vary).map((name) => [name, originValue(name, input.headers[name])]),
    input.user ?? null,
  ]
}

/**
 * The normalized key of a request before hashing: pageKeyParts as a JSON
 * array, so no value can spill into another part (no delimiter or key
 * injection). Written out part by part, each value through JSON.stringify
 * and the parts that are the same on every request of a route written once:
 * the same text as `JSON.stringify(pageKeyParts(input))` (tested), at about
 * a third of its cost, which walks a dozen nested arrays on every request.
 */
export function pageKeyText(input: KeyInput): string {
  let text = `${keyOpening(input.routeId)}${JSON.stringify(normalizePath(input.url, input.rules))},[`
  const query = keyedQuery(input.query, input.queryAllow)
  for (let i = 0; i < query.length; i++) {
    const [name, value] = query[i]!
    text += `${i === 0 ? '' : ','}[${JSON.stringify(name)},${jsonElement(value)}]`
  }
  text += '],['
  const { vary, headers } = input
  for (let i = 0; i < vary.length; i++) {
    const name = vary[i]!
    text += `${i === 0 ? '' : ','}${pairOpening(name)}${jsonElement(headerValue(headers[name]))}]`
  }
  text += '],['
  const origins = originHeadersBeside(vary)
  for (let i = 0; i < origins.length; i++) {
    const name = origins[i]!
    const value = headers[name]
    // Most origin headers are absent from most requests: their pair is a constant.
    text += `${i === 0 ? '' : ','}${pairOpening(name)}${value === undefined ? 'null' : jsonElement(originValue(name, value))}]`
  }
  return `${text}],${jsonElement(input.user ?? null)}]`
}

/**
 * Parts of the text that are the same on every request of a route, written
 * once each: `["name",` for a header name, `["k2","routeId",` for a route.
 * Names and route ids come from route configs and ORIGIN_HEADERS, a small
 * set; each memo is bounded regardless.
 */
function openingMemo(make: (part: string) => string): (part: string) => string {
  const made = new Map<string, string>()
  return (part) => {
    let opening = made.get(part)
    if (opening === undefined) {
      opening = make(part)
      if (made.size < 4096) made.set(part, opening)
    }
    return opening
  }
}
const pairOpening = openingMemo((name) => `[${JSON.stringify(name)},`)
const keyOpening = openingMemo((routeId) => `[${JSON.stringify(KEY_DERIVATION_VERSION)},${JSON.stringify(routeId)},`)

/** A value as JSON.stringify writes it inside an array (`null` where it would leave a value out). */
function jsonElement(value: unknown): string {
  return JSON.stringify(value) ?? 'null'
}

/** How many recent key texts keep their hash. */
export const KEY_HASH_MEMO_SIZE = 4096
const hashMemo = new Map<string, string>()

/**
 * SHA-256 of a key text (hex, 160 bits). Hot pages are asked for over and
 * over, so the hashes of the most recently first-seen texts are kept: a hit
 * pays a Map lookup instead of a hash. The memo holds exact texts (no
 * collision is possible through it) and is bounded: texts a client makes up
 * only push other texts out, costing a hash each.
 */
export function hashOfKeyText(text: string): string {
  let hash = hashMemo.get(text)
  if (hash === undefined) {
    hash = createHash('sha256').update(text).digest('hex').slice(0, 40)
    remember(text, hash)
  }
  return hash
}

/** How many texts and URLs the key memos hold (for tests and diagnostics). */
export function keyMemoSizes(): { texts: number; urls: number } {
  return { texts: hashMemo.size, urls: seenByUrl.size }
}

/** Empties the key memos (for tests: a memo only ever saves work). */
export function clearKeyMemos(): void {
  hashMemo.clear()
  seenByUrl.clear()
}

/** Keeps a hash in the memo by its key text or memo text (they can't meet: a memo text starts with a digit, a key text with `[`). */
function remember(text: string, hash: string): void {
  if (text.length <= MEMO_MAX_CHARS) keep(hashMemo, text, hash)
}

/** Sets an entry of a key memo, pushing out its oldest when it holds KEY_HASH_MEMO_SIZE. */
function keep<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= KEY_HASH_MEMO_SIZE) memo.delete(memo.keys().next().value!)
  memo.set(key, value)
}
