/**
 * Scrubbing: the secret values a request carried (its secret headers and
 * query parameters, the cookies its responses set) are cut out of everything
 * a shadow stores, wherever a response echoed them. Redaction replaces what
 * is known to be secret by its name (a header, a query parameter, a body
 * path); scrubbing replaces the values themselves, in any text or JSON value.
 * Pure: no I/O.
 */
import type { ClassifiedDiff } from './classify.js'
import type { PathDiff } from './json-diff.js'
import type { ShadowRecord } from './record.js'

/** What a secret is replaced by, in stored text and values. */
export const REDACTED = '[redacted]'

/**
 * Values shorter than this are not scrubbed. Real credentials (session ids,
 * bearer tokens, API keys) are longer; short values are ordinary words and
 * numbers (`theme=dark`, `key=1`): replacing every `dark` or `1` in a body
 * would shred the stored diffs, and would tell a reader the value anyway.
 */
export const MIN_SECRET_LENGTH = 6

/** Header-like maps as Node and Fastify hand them over. */
export type HeaderMap = Record<string, string | string[] | number | undefined>

export interface SecretNames {
  /** Header names (lower case) whose values are secret. */
  headers: ReadonlySet<string>
  /** Query parameter names (lower case) whose values are secret. */
  queryParams: ReadonlySet<string>
}

const values = (v: string | string[] | number | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [String(v)])

/**
 * A header value and the parts of it a page may echo: each cookie value of a
 * `Cookie`, the value of a `Set-Cookie` (not its attributes: `Secure`, a
 * `Domain` or a `Path` are no secrets, and scrubbing them would shred any
 * text that names them), the credentials after an `Authorization` scheme and
 * Basic's decoded password.
 */
function partsOfHeader(name: string, value: string): string[] {
  const valueOf = (pair: string): string => {
    const eq = pair.indexOf('=')
    return (eq >= 0 ? pair.slice(eq + 1) : pair).trim()
  }
  if (name === 'set-cookie') return [valueOf(value.split(';')[0]!)]
  if (name === 'cookie') return [value, ...value.split(';').map(valueOf)]
  const out = [value]
  const scheme = /^\s*([\w-]+)\s+(\S+)\s*$/.exec(value)
  if (scheme?.[2]) {
    out.push(scheme[2])
    if (scheme[1]!.toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2], 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon >= 0) out.push(decoded, decoded.slice(colon + 1))
    }
  }
  return out
}

/**
 * A query parameter's name as the secret lists hold it: lower case, without a
 * bracketed suffix (`token[]`, `token[0]`, `api_key[value]`), which `qs`-style
 * parsers turn into the same parameter.
 */
export function paramName(name: string): string {
  return name.toLowerCase().replace(/\[[^\]]*\](?:\[[^\]]*\])*$/, '')
}

function decodeComponent(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '))
  } catch {
    return s
  }
}

/** The values of secret query parameters in a request-target, both as written and decoded. */
function queryValues(url: string, names: ReadonlySet<string>): string[] {
  const q = url.indexOf('?')
  if (q < 0 || names.size === 0) return []
  const out: string[] = []
  for (const pair of url.slice(q + 1).split(/[&;]/)) {
    const eq = pair.indexOf('=')
    if (eq < 0) continue
    if (!names.has(paramName(decodeComponent(pair.slice(0, eq))))) continue
    const raw = pair.slice(eq + 1)
    out.push(raw, decodeComponent(raw))
  }
  return out
}

/**
 * The secret values of one request and its responses: the values of secret
 * headers (with their cookie values and credentials), secret query parameters
 * of the request-target, and the Set-Cookie values of the responses.
 */
export function collectSecrets(
  request: { url: string; headers: HeaderMap },
  names: SecretNames,
  ...responseHeaders: HeaderMap[]
): string[] {
  const out = new Set<string>()
  for (const h of [request.headers, ...responseHeaders]) {
    for (const [name, v] of Object.entries(h)) {
      const lower = name.toLowerCase()
      if (!names.headers.has(lower)) continue
      for (const value of values(v)) for (const p of partsOfHeader(lower, value)) out.add(p)
    }
  }
  for (const v of queryValues(request.url, names.queryParams)) out.add(v)
  return [...out].filter((s) => s.length >= MIN_SECRET_LENGTH)
}

const HTML: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/**
 * The forms a body may carry a value in: as it is, URL-encoded (both
 * encodeURIComponent's and a form's), JSON-escaped (also with `\/` and
 * `\uXXXX` escapes), HTML-escaped, and base64 (standard and URL-safe, with
 * and without padding). Matching is case-insensitive besides, which covers
 * `%2f` against `%2F` and a value echoed in upper case. A JSON string
 * escaped twice (a serialized payload in a field) is caught; deeper nesting,
 * or base64 of a text that merely contains the value, is not. A diff's path
 * carries a key as a JSON pointer token (`~0`, `~1`).
 */
export function encodingsOf(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1)
  const b64 = Buffer.from(secret, 'utf8').toString('base64')
  const forms = [
    secret,
    encodeURIComponent(secret),
    encodeURI(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    json,
    // A JSON string inside a JSON string (a serialized payload in a field, then pretty-printed for a patch).
    JSON.stringify(json).slice(1, -1),
    json.replace(/\//g, '\\/'),
    json.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')),
    secret.replace(/[&<>"']/g, (c) => HTML[c]!),
    // As a key inside a JSON pointer (a diff's path), RFC 6901 §3.
    secret.replace(/~/g, '~0').replace(/\//g, '~1'),
    b64,
    b64.replace(/=+$/, ''),
    Buffer.from(secret, 'utf8').toString('base64url'),
  ]
  return [...new Set(forms)].filter((f) => f.length >= MIN_SECRET_LENGTH)
}

/** Scrubs one request's secrets out of text and JSON values. */
export interface Scrubber {
  /** True when there is nothing to scrub (no secret long enough). */
  readonly empty: boolean
  text(s: string): string
  /** Strings, numbers and object keys inside a JSON value; a number that held a secret becomes a string. */
  value(v: unknown): unknown
}

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export function createScrubber(secrets: readonly string[]): Scrubber {
  const needles = [...new Set(secrets.filter((s) => s.length >= MIN_SECRET_LENGTH).flatMap(encodingsOf))]
  // Longest first: a value is replaced before any shorter form or part of it.
  needles.sort((a, b) => b.length - a.length)
  const pattern = needles.length > 0 ? new RegExp(needles.map(escapeRegExp).join('|'), 'gi') : undefined
  const text = (s: string): string => (pattern ? s.replace(pattern, REDACTED) : s)
  const value = (v: unknown): unknown => {
    if (!pattern) return v
    if (typeof v === 'string') return text(v)
    if (typeof v === 'number' || typeof v === 'bigint') {
      const s = String(v)
      const t = text(s)
      return t === s ? v : t
    }
    if (Array.isArray(v)) return v.map(value)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [text(k), value(x)]))
    return v
  }
  return { empty: pattern === undefined, text, value }
}

/** A difference with its path, shape and values scrubbed. */
export function scrubDiff<D extends PathDiff | ClassifiedDiff>(d: D, s: Scrubber): D {
  if (s.empty) return d
  const out: D = { ...d, path: s.text(d.path), shape: s.text(d.shape) }
  if ('control' in d) out.control = s.value(d.control)
  if ('candidate' in d) out.candidate = s.value(d.candidate)
  if (d.ignored) out.ignored = { ...d.ignored, reason: s.text(d.ignored.reason) }
  return out
}

/** The record as it may be stored: every string in it scrubbed (the last pass before the sink). */
export function scrubRecord(r: ShadowRecord, s: Scrubber): ShadowRecord {
  if (s.empty) return r
  return {
    ...r,
    url: s.text(r.url),
    headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, s.text(v)])),
    error: r.error === null ? null : s.text(r.error),
    diffs: r.diffs.map((d) => scrubDiff(d, s)),
    patch: r.patch === null ? null : s.text(r.patch),
  }
}
