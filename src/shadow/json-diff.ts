import { CUTOVER_ERR_SHADOW_RULES_INVALID } from '../errors.js'
import {
  compilePattern,
  formatPointer,
  matchesPattern,
  matchesPatternOrAncestor,
  type PathPattern,
  stableStringify,
} from './path-pattern.js'

/**
 * value: same type, different value; type: different JSON types; missing: in
 * the control, not in the candidate; extra: in the candidate only; length:
 * arrays of different lengths; order: same elements, different order.
 */
export type DiffKind = 'value' | 'type' | 'missing' | 'extra' | 'length' | 'order'

export interface PathDiff {
  /** Concrete JSON pointer ('' is the root); keyed set elements appear as `key=value`. */
  path: string
  /** The path with array positions replaced by `*`: what noise is learned on and reports group by. */
  shape: string
  kind: DiffKind
  /** Control-side value (absent for `extra`). */
  control?: unknown
  /** Candidate-side value (absent for `missing`). */
  candidate?: unknown
  /** Set when a route rule explains the difference; it stays in the result so reports can show it. */
  ignored?: { rule: 'ignore' | 'tolerance' | 'normalize'; reason: string }
}

/** Per-route comparison rules. Every rule names its reason, shown in reports. */
export interface ShadowRules {
  /** Differences at these paths (or below) are kept but marked ignored. Wildcards: `*`, `**`. */
  ignore?: Array<{ path: string; reason: string }>
  /** Arrays at these paths are compared as sets keyed by the field `key` (order ignored). */
  sets?: Array<{ path: string; key: string; reason: string }>
  /** Numbers at these paths are equal within `absolute` or `relative` (fraction of the larger). */
  tolerance?: Array<{ path: string; absolute?: number; relative?: number; reason: string }>
  /** Strings at these paths are compared with UUIDs or timestamps replaced by a placeholder. */
  normalize?: Array<{ path: string; as: 'uuid' | 'timestamp'; reason: string }>
  /**
   * Stop after this many differences (the result says it was truncated).
   * @default 500
   */
  maxDiffs?: number
}

export interface JsonDiffResult {
  diffs: PathDiff[]
  /** True when no difference is left that a rule does not explain. */
  equal: boolean
  truncated: boolean
}

interface Compiled {
  ignore: Array<{ pattern: PathPattern; reason: string }>
  sets: Array<{ pattern: PathPattern; key: string }>
  tolerance: Array<{ pattern: PathPattern; absolute: number; relative: number; reason: string }>
  normalize: Array<{ pattern: PathPattern; as: 'uuid' | 'timestamp'; reason: string }>
  maxDiffs: number
}

export type CompiledRules = Readonly<Compiled>

const RULE_KEYS = ['ignore', 'sets', 'tolerance', 'normalize', 'maxDiffs']

function fail(where: string, expected: string, got: unknown): never {
  throw new CUTOVER_ERR_SHADOW_RULES_INVALID(`${where} to be ${expected}`, JSON.stringify(got) ?? String(got))
}

function pattern(where: string, path: unknown): PathPattern {
  if (typeof path !== 'string') fail(`${where}.path`, 'a JSON pointer string', path)
  try {
    return compilePattern(path)
  } catch {
    return fail(`${where}.path`, 'a JSON pointer starting with "/"', path)
  }
}

function reason(where: string, r: unknown): string {
  if (typeof r !== 'string' || r.trim() === '') fail(`${where}.reason`, 'a non-empty string', r)
  return r
}

function list<T>(rules: Record<string, unknown>, name: string): T[] {
  const v = rules[name]
  if (v === undefined) return []
  if (!Array.isArray(v)) fail(name, 'an array', v)
  return v as T[]
}

/** Validates rules once (coded error naming the bad rule) and compiles their patterns. */
export function compileRules(rules: ShadowRules = {}): CompiledRules {
  const raw = rules as Record<string, unknown>
  for (const k of Object.keys(raw)) if (!RULE_KEYS.includes(k)) fail(`rule "${k}"`, `one of ${RULE_KEYS.join(', ')}`, k)
  const maxDiffs = rules.maxDiffs ?? 500
  if (!Number.isInteger(maxDiffs) || maxDiffs < 1) fail('maxDiffs', 'a positive integer', maxDiffs)
  const compiled: Compiled = {
    ignore: list<{ path: string; reason: string }>(raw, 'ignore').map((r, i) => ({
      pattern: pattern(`ignore[${i}]`, r.path),
      reason: reason(`ignore[${i}]`, r.reason),
    })),
    sets: list<{ path: string; key: string; reason: string }>(raw, 'sets').map((r, i) => {
      if (typeof r.key !== 'string' || r.key === '') fail(`sets[${i}].key`, 'a field name', r.key)
      reason(`sets[${i}]`, r.reason)
      return { pattern: pattern(`sets[${i}]`, r.path), key: r.key }
    }),
    tolerance: list<{ path: string; absolute?: number; relative?: number; reason: string }>(raw, 'tolerance').map((r, i) => {
      const absolute = r.absolute ?? 0
      const relative = r.relative ?? 0
      if (typeof absolute !== 'number' || !(absolute >= 0)) fail(`tolerance[${i}].absolute`, 'a number >= 0', absolute)
      if (typeof relative !== 'number' || !(relative >= 0 && relative < 1)) fail(`tolerance[${i}].relative`, 'a number in [0, 1)', relative)
      if (absolute === 0 && relative === 0) fail(`tolerance[${i}]`, 'an absolute or relative tolerance above 0', r)
      return { pattern: pattern(`tolerance[${i}]`, r.path), absolute, relative, reason: reason(`tolerance[${i}]`, r.reason) }
    }),
    normalize: list<{ path: string; as: 'uuid' | 'timestamp'; reason: string }>(raw, 'normalize').map((r, i) => {
      if (r.as !== 'uuid' && r.as !== 'timestamp') fail(`normalize[${i}].as`, '"uuid" or "timestamp"', r.as)
      return { pattern: pattern(`normalize[${i}]`, r.path), as: r.as, reason: reason(`normalize[${i}]`, r.reason) }
    }),
    maxDiffs,
  }
  return Object.freeze(compiled)
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi
const ISO_TIME = /\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?/g

function normalizeScalar(value: unknown, as: 'uuid' | 'timestamp'): unknown {
  if (as === 'uuid') return typeof value === 'string' ? value.replace(UUID, '<uuid>') : value
  if (typeof value === 'string') return value.replace(ISO_TIME, '<timestamp>')
  // Epoch seconds or milliseconds between 2001 and 2286.
  if (typeof value === 'number' && value >= 1e9 && value < 1e13) return '<timestamp>'
  return value
}

export function jsonType(value: unknown): 'null' | 'array' | 'object' | 'string' | 'number' | 'boolean' {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value as 'object' | 'string' | 'number' | 'boolean'
}

/** Structural equality of parsed JSON, key order ignored; no serialization on the common (equal) path. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false
    return true
  }
  if (Array.isArray(b)) return false
  const ka = Object.keys(a)
  if (ka.length !== Object.keys(b).length) return false
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false
  }
  return true
}

class Walker {
  readonly diffs: Array<PathDiff & { segments: string[] }> = []
  truncated = false
  /** The current path and shape, mutated in place while walking (copied only into a difference). */
  private readonly seg: string[] = []
  private readonly shape: string[] = []
  constructor(private readonly rules: Compiled) {}

  private push(d: Omit<PathDiff, 'path' | 'shape'>): void {
    if (this.diffs.length >= this.rules.maxDiffs) {
      this.truncated = true
      return
    }
    this.diffs.push({ path: formatPointer(this.seg), shape: formatPointer(this.shape), segments: [...this.seg], ...d })
  }

  private enter(seg: string, shape: string): void {
    this.seg.push(seg)
    this.shape.push(shape)
  }

  private leave(): void {
    this.seg.pop()
    this.shape.pop()
  }

  walk(a: unknown, b: unknown): void {
    if (this.truncated || a === b) return
    const ta = jsonType(a)
    const tb = jsonType(b)
    if (ta === 'object' && tb === 'object') return this.objects(a as Record<string, unknown>, b as Record<string, unknown>)
    if (ta === 'array' && tb === 'array') return this.arrays(a as unknown[], b as unknown[])
    this.leaf(a, b, ta !== tb ? 'type' : 'value')
  }

  private leaf(a: unknown, b: unknown, kind: 'type' | 'value'): void {
    const tol = this.rules.tolerance.find((t) => matchesPattern(t.pattern, this.seg))
    if (tol && typeof a === 'number' && typeof b === 'number') {
      const gap = Math.abs(a - b)
      if (gap <= tol.absolute || gap <= tol.relative * Math.max(Math.abs(a), Math.abs(b))) {
        return this.push({ kind, control: a, candidate: b, ignored: { rule: 'tolerance', reason: tol.reason } })
      }
    }
    const norm = this.rules.normalize.find((n) => matchesPattern(n.pattern, this.seg))
    if (norm && normalizeScalar(a, norm.as) === normalizeScalar(b, norm.as)) {
      return this.push({ kind, control: a, candidate: b, ignored: { rule: 'normalize', reason: norm.reason } })
    }
    this.push({ kind, control: a, candidate: b })
  }

  private objects(a: Record<string, unknown>, b: Record<string, unknown>): void {
    const keys = Object.keys(a)
    for (const k of Object.keys(b)) if (!Object.hasOwn(a, k)) keys.push(k)
    for (const key of keys.sort()) {
      const inA = Object.hasOwn(a, key)
      const inB = Object.hasOwn(b, key)
      this.enter(key, key)
      if (inA && inB) this.walk(a[key], b[key])
      else if (inA) this.push({ kind: 'missing', control: a[key] })
      else this.push({ kind: 'extra', candidate: b[key] })
      this.leave()
    }
  }

  private arrays(a: unknown[], b: unknown[]): void {
    const set = this.rules.sets.find((s) => matchesPattern(s.pattern, this.seg))
    if (set) return this.keyedSet(a, b, set.key)
    // Which elements are equal, worked out once: equal ones are not walked again (their keys sorted, their paths built).
    let same: boolean[] | undefined
    if (a.length !== b.length) {
      this.push({ kind: 'length', control: a.length, candidate: b.length })
    } else {
      same = a.map((v, i) => deepEqual(v, b[i]))
      if (same.every(Boolean)) return
      const sa = a.map((v) => stableStringify(v)).sort()
      const sb = b.map((v) => stableStringify(v)).sort()
      if (sa.every((v, i) => v === sb[i])) return this.push({ kind: 'order' })
    }
    const n = Math.min(a.length, b.length)
    for (let i = 0; i < n; i++) {
      if (same?.[i]) continue
      this.enter(String(i), '*')
      this.walk(a[i], b[i])
      this.leave()
    }
  }

  private keyedSet(a: unknown[], b: unknown[], key: string): void {
    const index = (arr: unknown[]): Map<string, unknown> => {
      const m = new Map<string, unknown>()
      arr.forEach((v, i) => {
        const k = v !== null && typeof v === 'object' && Object.hasOwn(v, key) ? (v as Record<string, unknown>)[key] : undefined
        let name = k === undefined ? `#${i}` : `${key}=${typeof k === 'string' ? k : stableStringify(k)}`
        while (m.has(name)) name += "'"
        m.set(name, v)
      })
      return m
    }
    const ma = index(a)
    const mb = index(b)
    for (const [name, va] of ma) {
      this.enter(name, '*')
      if (mb.has(name)) this.walk(va, mb.get(name))
      else this.push({ kind: 'missing', control: va })
      this.leave()
    }
    for (const [name, vb] of mb) {
      if (ma.has(name)) continue
      this.enter(name, '*')
      this.push({ kind: 'extra', candidate: vb })
      this.leave()
    }
  }
}

/** Path-level difference of two parsed JSON values (control first), key order ignored. */
export function diffJson(control: unknown, candidate: unknown, rules: CompiledRules = compileRules()): JsonDiffResult {
  const walker = new Walker(rules)
  walker.walk(control, candidate)
  const diffs = walker.diffs.map(({ segments, ...d }) => {
    if (!d.ignored) {
      const rule = rules.ignore.find((r) => matchesPatternOrAncestor(r.pattern, segments))
      if (rule) return { ...d, ignored: { rule: 'ignore' as const, reason: rule.reason } }
    }
    return d
  })
  return { diffs, equal: diffs.every((d) => d.ignored !== undefined), truncated: walker.truncated }
}
