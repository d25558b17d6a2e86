import { compilePattern, matchesPattern, parsePointer, type PathPattern } from './path-pattern.js'

export const REDACTED = '[redacted]'

/** Headers whose values never leave the process. */
export const SECRET_HEADERS: readonly string[] = ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-cutover-shadow']

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
  headers(h: Record<string, string | string[] | number | undefined>): Record<string, string>
  url(url: string): string
  /** Replaces values at configured paths inside `value`, which sits at `at` (a pointer) in the body. */
  json(value: unknown, at?: string): unknown
  /**
   * Replaces every occurrence of the secret strings collected from a request
   * (its Authorization/Cookie values, the Set-Cookie values of its responses)
   * in free text such as a unified diff: defence in depth for text bodies that
   * echo a secret.
   */
  scrub(text: string, secrets: readonly string[]): string
}

export function createRedactor(options: RedactionOptions = {}): Redactor {
  const secretHeaders = new Set([...SECRET_HEADERS, ...(options.headers ?? []).map((h) => h.toLowerCase())])
  const patterns: PathPattern[] = (options.bodyPaths ?? []).map(compilePattern)
  const params = new Set((options.queryParams ?? SECRET_QUERY_PARAMS).map((p) => p.toLowerCase()))
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
      const kept = [...search.entries()].map(([k, v]) => [k, params.has(k.toLowerCase()) ? REDACTED : v] as [string, string])
      return url.slice(0, q) + '?' + new URLSearchParams(kept).toString()
    },
    json(value, at = '') {
      if (patterns.length === 0) return value
      return walk(value, parsePointer(at))
    },
    scrub(text, secrets) {
      let out = text
      for (const s of secrets) if (s.length >= 4) out = out.split(s).join(REDACTED)
      return out
    },
  }
}

/** The secret strings carried by a request and responses: header values and each cookie value. */
export function secretsOf(...headerSets: Array<Record<string, string | string[] | number | undefined>>): string[] {
  const out = new Set<string>()
  for (const h of headerSets) {
    for (const [name, v] of Object.entries(h)) {
      const lower = name.toLowerCase()
      if (!SECRET_HEADERS.includes(lower) || v === undefined) continue
      for (const value of Array.isArray(v) ? v : [String(v)]) {
        out.add(value)
        for (const part of value.split(/[;,]/)) {
          const eq = part.indexOf('=')
          const cookieValue = eq >= 0 ? part.slice(eq + 1).trim() : part.trim()
          if (cookieValue) out.add(cookieValue)
        }
        const bearer = /^\s*\w+\s+(.+)$/.exec(value)
        if (bearer?.[1]) out.add(bearer[1])
      }
    }
  }
  // Longest first so a value is replaced before any of its parts.
  return [...out].sort((a, b) => b.length - a.length)
}
