import type { FastifyBaseLogger } from 'fastify'

/** Per-route counters of the page path in this process. */
export interface RouteStats {
  hit: number
  stale: number
  miss: number
  bypass: number
  stored: number
  coalesced: number
  refresh: number
  errors: number
  /**
   * Why requests were not answered from or written to the cache, by the
   * Cache-Status `detail` (`cookie`, `set-cookie`, `no-user`, ...): bypasses
   * and renders that were not stored.
   */
  notStored: Record<string, number>
}

/**
 * After this many requests of a route that were neither hits nor stored, with
 * no page stored yet, the route is reported once in the log: a route that
 * never stores anything is a setup problem, not a load pattern.
 */
export const NOTHING_STORED_AFTER = 20

/** What to do about the commonest reasons a route stores nothing. */
const HINTS: Record<string, string> = {
  cookie: 'requests carry cookies: name the session cookie in the plugin option sessionCookies, or give the route an audience',
  'set-cookie': 'responses set a cookie: if it is the session cookie, name it in the plugin option sessionCookies',
  authorization: 'requests carry Authorization: give the route audience "authenticated" or "user"',
  'no-user': "the route's user (or the plugin's identify) names no one for these requests",
  pass: 'earlier renders were not storable (see the other reasons)',
}

/** Reasons that say nothing about the route's setup. */
const NOT_COUNTED = new Set(['shadow', 'mode-off'])

/** The counters of every route that has seen a request on the page path. */
export class RouteStatsTable {
  private readonly stats = new Map<string, RouteStats>()
  private readonly reported = new Set<string>()

  constructor(private readonly log?: FastifyBaseLogger) {}

  /** The live counters of a route, created at zero on first use. */
  of(routeId: string): RouteStats {
    let s = this.stats.get(routeId)
    if (!s) {
      s = { hit: 0, stale: 0, miss: 0, bypass: 0, stored: 0, coalesced: 0, refresh: 0, errors: 0, notStored: {} }
      this.stats.set(routeId, s)
    }
    return s
  }

  /** A request of the route that was neither served from nor written to the cache, and why. */
  notStored(routeId: string, reason: string): void {
    if (NOT_COUNTED.has(reason)) return
    const s = this.of(routeId)
    s.notStored[reason] = (s.notStored[reason] ?? 0) + 1
    if (s.stored > 0 || s.hit > 0 || this.reported.has(routeId)) return
    const reasons = Object.entries(s.notStored).sort((a, b) => b[1] - a[1])
    if (reasons.reduce((n, [, c]) => n + c, 0) < NOTHING_STORED_AFTER) return
    this.reported.add(routeId)
    const hint = reasons.map(([r]) => HINTS[r]).find((h) => h !== undefined)
    const summary = reasons.map(([r, c]) => `${r} ${c}`).join(', ')
    this.log?.warn(
      { route: routeId, notStored: Object.fromEntries(reasons) },
      `cutover: route "${routeId}" has stored no page in ${NOTHING_STORED_AFTER} requests (${summary})${hint ? `; ${hint}` : ''}`,
    )
  }

  /** A copy of every route's counters, by route id. */
  all(): Record<string, RouteStats> {
    return Object.fromEntries([...this.stats].map(([id, s]) => [id, { ...s, notStored: { ...s.notStored } }]))
  }
}
