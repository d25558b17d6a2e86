/** Counter names stored per route (a field is `<scope>|<route>|<counter>`). */
export const COUNTERS = {
  requests: 'requests',
  /** Requests answered with a 5xx status. */
  errors: 'errors',
  /** DB calls made while serving the request itself. */
  queries: 'queries',
  /** Refresh jobs the route's requests enqueued. */
  jobs: 'jobs',
  /** DB calls the worker made running those jobs (charged back to the route). */
  refreshReads: 'refreshReads',
  /** Refresh jobs a worker finished for the route. */
  jobsDone: 'jobsDone',
  /** The producer gate's decisions on the route's jobs: queued, deduped against a waiting job, dropped. */
  gatePassed: 'gatePassed',
  gateDeduped: 'gateDeduped',
  gateDropped: 'gateDropped',
  /** Redis commands (pipelines and MULTI count each command they carry). */
  redis: 'redis',
  /** Responses that carried a page-cache status, and those that were hits. */
  cacheLookups: 'cacheLookups',
  cacheHits: 'cacheHits',
  /** Sum of request durations, microseconds. */
  latencySumUs: 'latencySumUs',
  /** Prefix of the latency histogram buckets (`lat.<i>`, see histogram.ts). */
  latency: 'lat.',
  /**
   * Prefix of the per-path counters, split by the response's `cutover-path`
   * (`path.page.requests`, `path.legacy.errors`, `path.page.queries`,
   * `path.page.jobs`, `path.page.lat.<i>`), so the page path and the legacy
   * path of one route can be compared over the same window.
   */
  path: 'path.',
  /** Queue gauges (scope `queue`, route = queue name). */
  depthMax: 'depthMax',
  depthLast: 'depthLast',
} as const

/** Counter field -> value. */
export type Counts = Map<string, number>

/** What one process counted and has not sent yet; buckets are keyed by their start, epoch seconds. */
export interface PendingCounts {
  /** Counters, added up into the bucket. */
  increments: Map<number, Counts>
  /** Gauges kept at their highest value in the bucket. */
  maxima: Map<number, Counts>
  /** Gauges kept at their last value in the bucket. */
  latest: Map<number, Counts>
  /** Route -> refresh jobs enqueued minus jobs run (not windowed). */
  backlog: Counts
}

export function addCount(counts: Counts, field: string, n: number): void {
  counts.set(field, (counts.get(field) ?? 0) + n)
}

function inBucket(map: Map<number, Counts>, bucket: number): Counts {
  let counts = map.get(bucket)
  if (!counts) map.set(bucket, (counts = new Map()))
  return counts
}

const nothingPending = (): PendingCounts => ({ increments: new Map(), maxima: new Map(), latest: new Map(), backlog: new Map() })

/**
 * The in-process side of the meter: counts collect here on the hot path
 * (plain Map updates, no I/O) until a flush takes them.
 */
export class CountBuffer {
  private pending = nothingPending()

  increment(bucket: number, field: string, n: number): void {
    addCount(inBucket(this.pending.increments, bucket), field, n)
  }

  /** Keeps the highest value a gauge had in the bucket. */
  raise(bucket: number, field: string, value: number): void {
    const maxima = inBucket(this.pending.maxima, bucket)
    maxima.set(field, Math.max(maxima.get(field) ?? 0, value))
  }

  /** Keeps the last value a gauge had in the bucket. */
  setLatest(bucket: number, field: string, value: number): void {
    inBucket(this.pending.latest, bucket).set(field, value)
  }

  addBacklog(route: string, n: number): void {
    addCount(this.pending.backlog, route, n)
  }

  /** Hands over everything counted so far and starts empty. */
  take(): PendingCounts {
    const taken = this.pending
    this.pending = nothingPending()
    return taken
  }

  /** Puts counts that failed to send back in front of newer ones. */
  putBack(unsent: PendingCounts): void {
    for (const [bucket, counts] of unsent.increments) {
      const into = inBucket(this.pending.increments, bucket)
      for (const [f, v] of counts) addCount(into, f, v)
    }
    for (const [bucket, counts] of unsent.maxima) {
      const into = inBucket(this.pending.maxima, bucket)
      for (const [f, v] of counts) into.set(f, Math.max(into.get(f) ?? 0, v))
    }
    for (const [bucket, counts] of unsent.latest) {
      const into = inBucket(this.pending.latest, bucket)
      for (const [f, v] of counts) if (!into.has(f)) into.set(f, v)
    }
    for (const [route, n] of unsent.backlog) addCount(this.pending.backlog, route, n)
  }

  /** Adds the counters not sent yet, over all buckets, into `totals`. */
  addUnsentTo(totals: Counts): void {
    for (const counts of this.pending.increments.values()) for (const [f, v] of counts) addCount(totals, f, v)
  }
}
