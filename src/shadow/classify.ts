import type { PathDiff } from './json-diff.js'

/**
 * Why a path differs. leak: the page would show one user what belongs to
 * another (or set a cookie for everyone); logic: a fresh page render differs
 * from the legacy answer too; staleness: a fresh render matches, only the
 * cached copy is behind; noise: the legacy path disagrees with itself there;
 * unexplained: no fresh render was available to tell staleness from logic.
 */
export type Cause = 'leak' | 'logic' | 'unexplained' | 'staleness' | 'noise'

/** Most serious first: a sample's cause is the first of these among its paths. */
export const CAUSES: readonly Cause[] = ['leak', 'logic', 'unexplained', 'staleness', 'noise']

export interface ClassifiedDiff extends PathDiff {
  /** null for differences a route rule explains (ignored). */
  cause: Cause | null
}

export interface LeakFinding {
  path: string
  shape: string
  /** What was found, without the value itself. */
  detail: string
}

export interface ClassifyInput {
  /** Control vs the candidate (the cached page, or a fresh render when nothing was cached). */
  primary: readonly PathDiff[]
  /** Control vs a fresh page render, when the candidate was a cached page and a fresh render ran. */
  fresh?: readonly PathDiff[] | undefined
  /** Control vs a second legacy render, when one ran. */
  secondary?: readonly PathDiff[] | undefined
  /** True when the candidate was rendered now (no cached page): it can't be stale. */
  candidateIsFresh: boolean
  /** Learned noise for this route: is this path shape known to differ between legacy renders? */
  isNoise: (shape: string) => boolean
  leaks: readonly LeakFinding[]
}

export interface Classification {
  outcome: 'match' | 'mismatch'
  /** The most serious cause among the paths; null on a match. */
  cause: Cause | null
  /** Leaks first, then by path. */
  diffs: ClassifiedDiff[]
}

function causeOf(d: PathDiff, input: ClassifyInput, secondaryShapes: Set<string>, freshPaths: Set<string> | undefined): Cause {
  if (secondaryShapes.has(d.shape)) return 'noise'
  if (input.candidateIsFresh) return input.isNoise(d.shape) ? 'noise' : 'logic'
  if (freshPaths) {
    if (!freshPaths.has(d.path)) return 'staleness'
    return input.isNoise(d.shape) ? 'noise' : 'logic'
  }
  return input.isNoise(d.shape) ? 'noise' : 'unexplained'
}

/** Gives every differing path its cause. Pure. */
export function classify(input: ClassifyInput): Classification {
  const live = (ds: readonly PathDiff[] | undefined): PathDiff[] | undefined => ds?.filter((d) => !d.ignored)
  const secondaryShapes = new Set((live(input.secondary) ?? []).map((d) => d.shape))
  const freshLive = live(input.fresh)
  const freshPaths = freshLive ? new Set(freshLive.map((d) => d.path)) : undefined
  const leakPaths = new Map(input.leaks.map((l) => [l.path, l]))

  const diffs: ClassifiedDiff[] = input.primary.map((d) => {
    if (leakPaths.has(d.path)) return { ...d, cause: 'leak' }
    if (d.ignored) return { ...d, cause: null }
    return { ...d, cause: causeOf(d, input, secondaryShapes, freshPaths) }
  })
  // A path where the fresh render differs but the cached page does not: the page path's logic
  // differs, and the cache hides it only until the page is rendered again.
  const primaryPaths = new Set(input.primary.map((d) => d.path))
  for (const d of freshLive ?? []) {
    if (primaryPaths.has(d.path) || secondaryShapes.has(d.shape) || input.isNoise(d.shape)) continue
    diffs.push({ ...d, cause: 'logic' })
  }
  for (const leak of input.leaks) {
    if (!input.primary.some((d) => d.path === leak.path)) {
      diffs.push({ path: leak.path, shape: leak.shape, kind: 'extra', candidate: leak.detail, cause: 'leak' })
    }
  }
  diffs.sort((a, b) => rank(a.cause) - rank(b.cause) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const cause = diffs.find((d) => d.cause !== null)?.cause ?? null
  return { outcome: cause === null ? 'match' : 'mismatch', cause, diffs }
}

function rank(cause: Cause | null): number {
  return cause === null ? CAUSES.length : CAUSES.indexOf(cause)
}
