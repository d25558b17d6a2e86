import type { Cause, ClassifiedDiff } from './classify.js'
import type { ShadowSampling } from './hook.js'

/** Measured facts about one side of a comparison. */
export interface SideStats {
  status: number
  durationMs: number
  /** DB queries the render made (from the meter), when known. */
  dbCalls: number | null
  /** Redis commands the render made (from the meter), when known. */
  redisCalls: number | null
  /** Refresh jobs the render enqueued or would have (from the meter): DB reads owed, when known. */
  refreshJobs: number | null
}

/** One shadow comparison, redacted, as handed to the writer. */
export interface ShadowRecord {
  route: string
  /** Epoch ms. */
  at: number
  method: string
  /** Path and query, secret query parameters redacted. */
  url: string
  /** Request headers, secret values redacted. */
  headers: Record<string, string>
  outcome: 'match' | 'mismatch' | 'error'
  /** Most serious cause among the differing paths; null on a match or error. */
  cause: Cause | null
  /** What the error was, when outcome is error. */
  error: string | null
  /** Where the candidate came from: the page the cache would serve, or a render made now (nothing cached). */
  candidateSource: 'cache' | 'fresh'
  /** Age of the cached page, ms; null when the candidate was rendered now. */
  pageAgeMs: number | null
  control: SideStats
  /** The page path's cost: the cached read, or the fresh render. Null on error before it ran. */
  candidate: SideStats | null
  /** The fresh page render, when one ran besides a cached candidate. */
  fresh: SideStats | null
  /** Differences, values redacted and shortened. */
  diffs: ClassifiedDiff[]
  /** Unified diff of control vs candidate (pretty, canonical), redacted; null when equal. */
  patch: string | null
  /** The rate the request was sampled at, configured and in effect; null when the caller did not say. */
  sampling?: ShadowSampling | null
}
