import { compilePattern, matchesPattern, parsePointer, type PathPattern } from './path-pattern.js'
import { collectSecrets, createScrubber, paramName, REDACTED, type HeaderMap, type SecretNames } from './scrub.js'

export { REDACTED }

/** Headers whose values never leave the process (their values are also scrubbed from stored bodies). */
export const SECRET_HEADERS: readonly string[] = [
  'authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-cutover-shadow',
  'x-api-key', 'x-auth-token', 'x-csrf-token', 'x-xsrf-token',
]

/** Query parameters redacted from stored URLs unless configured otherwise. */
export const SECRET_QUERY_PARAMS: readonly string[] = ['token', 'access_token', 'api_key', 'apikey', 'key', 'password', 'secret', 'signature']

export interface RedactionOptions {
  /** More header names to redact (lower case), besides SECRET_HEADERS. */
  headers?: readonly string[]
  /** Body paths (JSON pointers, `*`/`**` wildcards) whose values are replaced before storing. */
  bodyPaths?: readonly string[]
  /** Query parameters to redact in stored URLs. @default SECRET_QUERY_PARAMS */
  queryParams?: readonly string[]
  /**
   * Request headers kept (besides secret ones, kept as `[redacted]` to show they were sent);
   * others are dropped, since they may identify a person (addresses, tracing ids).
   * @default SAFE_HEADERS
   */
  keepHeaders?: readonly string[]
}

/** Request headers stored with a sample by default: what shapes a response, not who asked. */
export const SAFE_HEADERS: readonly string[] = [
  'accept', 'accept-encoding', 'accept-language', 'content-type', 'if-none-match', 'if-modified-since', 'user-agent', 'x-requested-with',
]

export interface Redactor {
  /** Safe headers as they are, secret ones as `[redacted]`, the rest dropped. */
  headers(h: HeaderMap): Record<string, string>
  url(url: string): string
  /** Replaces values at configured paths inside `value`, which sits at `at` (a pointer) in the body. */
  json(value: unknown, at?: string): unknown
  /**
   * The secret values of a request and its responses, by this redactor's
   * names: secret headers (cookie values, credentials), secret query
   * parameters, Set-Cookie values. What scrub() cuts out.
   */
  secrets(request: { url: string; headers: HeaderMap }, ...responseHeaders: HeaderMap[]): string[]
  /**
   * Replaces every occurrence of the secret values (and their URL, JSON,
   * HTML and base64 encodings) in free text such as a unified diff; values
   * shorter than MIN_SECRET_LENGTH are left alone (see scrub.ts).
   */
  scrub(text: string, secrets: readonly string[]): string
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const secretHeaders = new Set([...SECRET_HEADERS, ...(options.headers ?? []).map((h) => h.toLowerCase())])
  const patterns: PathPattern[] = (options.bodyPaths ?? []).map(compilePattern)
  const params = new Set((options.queryParams ?? SECRET_QUERY_PARAMS).map((p) => p.toLowerCase()))
  const names: SecretNames = { headers: secretHeaders, queryParams: params }
  const keep = new Set((options.keepHeaders ?? SAFE_HEADERS).map((h) => h.toLowerCase()))

  const walk = (value: unknown, seg: string[]): unknown => {
    if (patterns.some((p) => matchesPattern(p, seg))) return REDACTED
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...seg, String(i)]))
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...seg, k])]))
    }
    return value
  }

  return {
    headers(h) {
      const out: Record<string, string> = {}
      for (const [name, v] of Object.entries(h)) {
        if (v === undefined) continue
        const lower = name.toLowerCase()
        if (secretHeaders.has(lower)) out[lower] = REDACTED
        else if (keep.has(lower)) out[lower] = Array.isArray(v) ? v.join(', ') : String(v)
      }
      return out
    },
    url(url) {
      const q = url.indexOf('?')
      if (q < 0) return url
      const search = new URLSearchParams(url.slice(q + 1))
      const kept = [...search.entries()].map(([k, v]) => [k, params.has(paramName(k)) ? REDACTED : v] as [string, string])
      return url.slice(0, q) + '?' + new URLSearchParams(kept).toString()
    },
    json(value, at = '') {
      if (patterns.length === 0) return value
      return walk(value, parsePointer(at))
    },
    secrets: (request, ...responseHeaders) => collectSecrets(request, names, ...responseHeaders),
    scrub: (text, secrets) => createScrubber(secrets).text(text),
  }
}

/** The secret values carried by header sets (secret headers, cookie values, Set-Cookie values), longest first. */
export function secretsOf(...headerSets: HeaderMap[]): string[] {
  const names: SecretNames = { headers: new Set(SECRET_HEADERS), queryParams: new Set() }
  return collectSecrets({ url: '', headers: {} }, names, ...headerSets).sort((a, b) => b.length - a.length)
}
