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
}

/** The counters of every route that has seen a request on the page path. */
export class RouteStatsTable {
  private readonly stats = new Map<string, RouteStats>()

  /** The live counters of a route, created at zero on first use. */
  of(routeId: string): RouteStats {
    let s = this.stats.get(routeId)
    if (!s) {
      s = { hit: 0, stale: 0, miss: 0, bypass: 0, stored: 0, coalesced: 0, refresh: 0, errors: 0 }
      this.stats.set(routeId, s)
    }
    return s
  }

  /** A copy of every route's counters, by route id. */
  all(): Record<string, RouteStats> {
    return Object.fromEntries([...this.stats].map(([id, s]) => [id, { ...s }]))
  }
}
