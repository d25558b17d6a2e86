import { createHash } from 'node:crypto'
import type { LeakFinding } from './classify.js'
import { formatPointer, matchesPattern, type PathPattern } from './path-pattern.js'

export interface UserValue {
  path: string
  shape: string
  /** sha256 of the canonical value, truncated: the value itself is never kept. */
  hash: string
}

function hashValue(v: unknown): string {
  return createHash('sha256').update(JSON.stringify(v) ?? '').digest('hex').slice(0, 24)
}

/** Values at the route's per-user paths (e.g. `/account/email`), hashed. */
export function userValues(json: unknown, patterns: readonly PathPattern[]): UserValue[] {
  const out: UserValue[] = []
  if (patterns.length === 0) return out
  const walk = (v: unknown, seg: string[], shape: string[]): void => {
    if (patterns.some((p) => matchesPattern(p, seg))) {
      out.push({ path: formatPointer(seg), shape: formatPointer(shape), hash: hashValue(v) })
      return
    }
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...seg, String(i)], [...shape, '*']))
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...seg, k], [...shape, k])
  }
  walk(json, [], [])
  return out
}

/**
 * Remembers, per route, which identity (hashed) each per-user value belongs
 * to, bounded to the most recent `capacity` values, so a cached page that
 * carries someone else's value can be recognized.
 */
export class IdentityValues {
  private readonly owners = new Map<string, string>()
  constructor(private readonly capacity = 10_000) {}

  remember(route: string, identity: string, values: readonly UserValue[]): void {
    for (const v of values) {
      const key = `${route}\n${v.hash}`
      this.owners.delete(key)
      this.owners.set(key, identity)
    }
    while (this.owners.size > this.capacity) {
      const oldest = this.owners.keys().next().value
      if (oldest === undefined) break
      this.owners.delete(oldest)
    }
  }

  ownerOf(route: string, hash: string): string | undefined {
    return this.owners.get(`${route}\n${hash}`)
  }
}

export interface LeakCheck {
  route: string
  identity: string | undefined
  /** Headers of the cached page. */
  cachedHeaders: Record<string, string | string[] | number | undefined>
  /** Per-user values of the control (what this user should see) and of the cached page. */
  control: readonly UserValue[]
  cached: readonly UserValue[]
  memory: IdentityValues
}

/** A cached page that sets a cookie or shows another identity's per-user value. Pure except for reading `memory`. */
export function findLeaks(check: LeakCheck): LeakFinding[] {
  const leaks: LeakFinding[] = []
  const setCookie = Object.entries(check.cachedHeaders).find(([k]) => k.toLowerCase() === 'set-cookie')
  if (setCookie && setCookie[1] !== undefined) {
    leaks.push({ path: '@header/set-cookie', shape: '@header/set-cookie', detail: 'cached page carries Set-Cookie' })
  }
  const mine = new Map(check.control.map((v) => [v.path, v.hash]))
  for (const v of check.cached) {
    if (mine.get(v.path) === v.hash) continue
    const owner = check.memory.ownerOf(check.route, v.hash)
    if (owner !== undefined && owner !== check.identity) {
      leaks.push({ path: v.path, shape: v.shape, detail: 'value belongs to another identity' })
    }
  }
  return leaks
}
