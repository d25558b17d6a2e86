/** Per-route counters of which path served and what happened to shadows. */
export interface PathStats {
  page: number
  legacy: number
  /** Shadows started. */
  shadowed: number
  /** Sampled, but dropped: too many shadows running, or a streamed body. */
  shadowDropped: number
  shadowFailed: number
  shadowTimedOut: number
}

/** The path counters of every route, created at zero on first use. */
export class PathStatsTable {
  readonly #stats = new Map<string, PathStats>()

  /** The live counters of a route. */
  of(routeId: string): PathStats {
    let stats = this.#stats.get(routeId)
    if (!stats) {
      stats = { page: 0, legacy: 0, shadowed: 0, shadowDropped: 0, shadowFailed: 0, shadowTimedOut: 0 }
      this.#stats.set(routeId, stats)
    }
    return stats
  }

  /** A copy of every route's counters, by route id. */
  all(): Record<string, PathStats> {
    return Object.fromEntries([...this.#stats].map(([id, s]) => [id, { ...s }]))
  }
}
