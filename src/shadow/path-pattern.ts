/**
 * JSON pointers (RFC 6901) and the wildcard patterns shadow rules use to
 * address them. A pattern is a pointer whose segments may be `*` (any one
 * segment) or `**` (any number of segments, including none).
 */

/** Escapes one reference token (RFC 6901 §4: `~` -> `~0`, `/` -> `~1`). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1')
}

export function unescapeToken(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~')
}

/** Builds a pointer from unescaped segments; the root is `''`. */
export function formatPointer(segments: readonly string[]): string {
  return segments.map((s) => '/' + escapeToken(s)).join('')
}

/** Splits a pointer into unescaped segments; throws on a pointer that does not start with `/`. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return []
  if (!pointer.startsWith('/')) throw new TypeError(`expected a JSON pointer starting with "/", got "${pointer}"`)
  return pointer.slice(1).split('/').map(unescapeToken)
}

/** A compiled wildcard pattern. */
export interface PathPattern {
  source: string
  segments: readonly string[]
}

export function compilePattern(source: string): PathPattern {
  return { source, segments: parsePointer(source) }
}

/** True when the pattern addresses exactly these segments. */
export function matchesPattern(pattern: PathPattern, segments: readonly string[]): boolean {
  return matchFrom(pattern.segments, 0, segments, 0)
}

/** True when the pattern addresses these segments or one of their ancestors. */
export function matchesPatternOrAncestor(pattern: PathPattern, segments: readonly string[]): boolean {
  for (let n = segments.length; n >= 0; n--) {
    if (matchFrom(pattern.segments, 0, segments.slice(0, n), 0)) return true
  }
  return false
}

function matchFrom(pat: readonly string[], pi: number, seg: readonly string[], si: number): boolean {
  if (pi === pat.length) return si === seg.length
  const p = pat[pi]
  if (p === '**') {
    for (let k = si; k <= seg.length; k++) if (matchFrom(pat, pi + 1, seg, k)) return true
    return false
  }
  if (si === seg.length) return false
  if (p !== '*' && p !== seg[si]) return false
  return matchFrom(pat, pi + 1, seg, si + 1)
}

/**
 * Canonical JSON: object keys sorted, so two equal values always print the
 * same (used for equality, set keys, and the pretty text unified diffs show).
 */
export function stableStringify(value: unknown, indent = 0): string {
  return JSON.stringify(sortKeys(value), null, indent) ?? 'undefined'
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key])
    return out
  }
  return value
}
