/**
 * Targeted cache-control fields (RFC 9213): `CDN-Cache-Control` and others a
 * route names. The first listed field a response carries, if it parses as a
 * Structured Fields Dictionary (RFC 8941 §3.2) whose cache directives have
 * the right types, stands in for Cache-Control; an invalid one is ignored.
 */

type Headers = Record<string, string | string[] | number | undefined>

/** The targets a followOrigin route reads unless it names its own. */
export const DEFAULT_TARGETS: readonly string[] = Object.freeze(['cdn-cache-control'])

const KEY = /^[a-z*][a-z0-9_\-.*]*/
const TOKEN = /^[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*/
const INTEGER = /^-?\d{1,15}(?:\.\d{1,3})?/
const BYTES = /^:[A-Za-z0-9+/=]*:/
const BOOLEAN = /^\?[01]/

type Item = { kind: 'integer' | 'decimal' | 'string' | 'token' | 'bytes' | 'boolean'; text: string }

/** Parses one bare item at the start of `s`; undefined when none is there. */
function bareItem(s: string): { item: Item; rest: string } | undefined {
  if (s.startsWith('"')) {
    let i = 1
    let text = ''
    while (i < s.length) {
      const c = s[i] as string
      if (c === '\\') {
        const next = s[i + 1]
        if (next !== '"' && next !== '\\') return undefined
        text += next
        i += 2
      } else if (c === '"') {
        return { item: { kind: 'string', text }, rest: s.slice(i + 1) }
      } else {
        const code = c.charCodeAt(0)
        if (code < 0x20 || code > 0x7e) return undefined
        text += c
        i++
      }
    }
    return undefined
  }
  for (const [kind, re] of [['integer', INTEGER], ['bytes', BYTES], ['boolean', BOOLEAN], ['token', TOKEN]] as const) {
    const m = re.exec(s)
    if (m) {
      const k = kind === 'integer' && m[0].includes('.') ? 'decimal' : kind
      return { item: { kind: k, text: m[0] }, rest: s.slice(m[0].length) }
    }
  }
  return undefined
}

/** Skips `;key[=item]` parameters; undefined when they don't parse. */
function skipParams(s: string): string | undefined {
  let rest = s
  while (rest.startsWith(';')) {
    rest = rest.slice(1).replace(/^ +/, '')
    const key = KEY.exec(rest)
    if (!key) return undefined
    rest = rest.slice(key[0].length)
    if (rest.startsWith('=')) {
      const v = bareItem(rest.slice(1))
      if (!v) return undefined
      rest = v.rest
    }
  }
  return rest
}

/** An RFC 8941 Dictionary as key -> item (true for a bare key); undefined when the field does not parse. */
export function parseDictionary(field: string): Map<string, Item | true> | undefined {
  const out = new Map<string, Item | true>()
  let rest = field.replace(/^[ \t]+|[ \t]+$/g, '')
  if (rest === '') return out
  for (;;) {
    const key = KEY.exec(rest)
    if (!key) return undefined
    rest = rest.slice(key[0].length)
    let value: Item | true = true
    if (rest.startsWith('=')) {
      const v = bareItem(rest.slice(1))
      if (!v) return undefined
      value = v.item
      rest = v.rest
    }
    const after = skipParams(rest)
    if (after === undefined) return undefined
    out.set(key[0], value)
    rest = after.replace(/^[ \t]+/, '')
    if (rest === '') return out
    if (!rest.startsWith(',')) return undefined
    rest = rest.slice(1).replace(/^[ \t]+/, '')
    if (rest === '') return undefined
  }
}

/** Directives whose value must be an integer of seconds. */
const SECONDS = new Set(['max-age', 's-maxage', 'stale-while-revalidate', 'stale-if-error'])

/** The dictionary as Cache-Control text, or undefined when a cache directive has the wrong type. */
function asCacheControl(dict: Map<string, Item | true>): string | undefined {
  const parts: string[] = []
  for (const [key, value] of dict) {
    if (SECONDS.has(key)) {
      if (value === true || value.kind !== 'integer' || value.text.startsWith('-')) return undefined
      parts.push(`${key}=${value.text}`)
    } else if (value === true || value.kind === 'boolean') {
      if (value === true || value.text === '?1') parts.push(key)
    } else if (key !== 'private' && key !== 'no-cache') {
      parts.push(`${key}=${value.kind === 'string' ? JSON.stringify(value.text) : value.text}`)
    } else {
      // `private="field"` and `no-cache="field"` qualify the directive; the whole response is treated as such.
      parts.push(key)
    }
  }
  return parts.join(', ')
}

/**
 * The Cache-Control a shared cache reads for a response: the first targeted
 * field of `targets` present and valid, as Cache-Control text; undefined when
 * none applies (then Cache-Control and Expires decide as usual).
 */
export function targetedCacheControl(targets: readonly string[], headers: Headers): string | undefined {
  for (const name of targets) {
    const raw = headers[name]
    if (raw === undefined) continue
    const dict = parseDictionary(Array.isArray(raw) ? raw.join(', ') : String(raw))
    const cc = dict && asCacheControl(dict)
    if (cc !== undefined) return cc
  }
  return undefined
}
