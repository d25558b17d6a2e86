import type { BackgroundRefresh } from './background-refresh.js'
import type { GuardedStore } from './guarded-store.js'
import type { PageRequest, PageStates } from './page-state.js'
import { servesStale } from './origin-policy.js'
import { shouldRefreshEarly, standingOf, tagVerdict, type TagVerdict } from './policy.js'
import { sendPage, type CacheOutcome } from './respond.js'
import type { RouteStatsTable } from './route-stats.js'
import type { PageKey, StoredPage, TagState } from './store.js'

export interface HitPathOptions {
  guard: Pick<GuardedStore, 'tagStates' | 'heldTagStates'>
  stats: RouteStatsTable
  states: PageStates
  refresher: Pick<BackgroundRefresh, 'refresh'>
  xfetchBeta: number
}

/**
 * Per stored page object (a store hands out one object per stored copy while
 * it lasts): its tag names as one array, so a store may keep its answer for
 * that array (TieredPageStore does), and the verdict last worked out with the
 * states object it came from. A frozen states object is the same answer when
 * it comes back, so a hot page's hundred tags are compared once, not per hit.
 */
interface Judged {
  tags: string[]
  states?: Record<string, TagState>
  verdict?: TagVerdict
}
const judged = new WeakMap<StoredPage, Judged>()
const NO_STATES: Record<string, TagState> = Object.freeze({})

function judgedOf(page: StoredPage): Judged {
  let seen = judged.get(page)
  if (seen === undefined) {
    seen = { tags: Object.keys(page.tags) }
    judged.set(page, seen)
  }
  return seen
}

/** Answers requests from stored pages: fresh hits, stale serves (with a background refresh) and coalesced waits. */
export class HitPath {
  constructor(private readonly options: HitPathOptions) {}

  /**
   * Serves a stored page if it may still be served; false means treat as a
   * miss, 'revalidate' a miss that revalidates this stale followOrigin page.
   * `read`: the states of the page's tags, when the lookup read them with it.
   */
  async serveStored(at: PageRequest, key: PageKey, page: StoredPage, read?: Record<string, TagState>): Promise<boolean | 'revalidate'> {
    if (read !== undefined) return this.serveJudged(at, key, page, judgedOf(page), read)
    // States held in process memory (or no tags): no promise, timer or timeout for them.
    const served = this.serveHeld(at, key, page)
    if (served !== undefined) return served
    let states: Record<string, TagState>
    try {
      states = await this.options.guard.tagStates(judgedOf(page).tags)
    } catch {
      this.options.stats.of(at.route.id).errors++
      return this.options.states.bypass(at.route, at.request, 'cache-error')
    }
    return this.serveJudged(at, key, page, judgedOf(page), states)
  }

  /**
   * serveStored without a promise, in the caller's turn: undefined when the
   * page's tags' states are not held in process memory (ask serveStored).
   */
  serveHeld(at: PageRequest, key: PageKey, page: StoredPage): boolean | 'revalidate' | undefined {
    const seen = judgedOf(page)
    let states = NO_STATES
    if (seen.tags.length > 0) {
      let held: Record<string, TagState> | undefined
      try {
        held = this.options.guard.heldTagStates(seen.tags)
      } catch {
        // The store's timed call (serveStored) answers it.
        return undefined
      }
      if (held === undefined) return undefined
      states = held
    }
    return this.serveJudged(at, key, page, seen, states)
  }

  private serveJudged(at: PageRequest, key: PageKey, page: StoredPage, seen: Judged, states: Record<string, TagState>): boolean | 'revalidate' {
    const { route, request } = at
    let verdict = seen.states === states ? seen.verdict : undefined
    if (verdict === undefined) {
      verdict = tagVerdict(page.tags, states)
      if (Object.isFrozen(states)) Object.assign(seen, { states, verdict })
    }
    const now = Date.now()
    const standing = standingOf(verdict, page, route.staleMs, now)
    if (standing === 'gone') return false
    const stats = this.options.stats.of(route.id)
    if (standing === 'fresh') {
      stats.hit++
      if (shouldRefreshEarly(page, now, this.options.xfetchBeta)) this.options.refresher.refresh(route.id, request, key)
      this.send(at, page, { kind: 'hit', ttlSeconds: Math.ceil((page.staleAt - now) / 1000) }, now)
      return true
    }
    // A followOrigin page past what the origin lets be served stale is revalidated first (RFC 9111 §4.2.4).
    if (page.origin !== undefined && !servesStale(page, route.staleMs, now)) return 'revalidate'
    stats.stale++
    this.options.refresher.refresh(route.id, request, key)
    this.send(at, page, { kind: 'stale', ttlSeconds: Math.min(0, Math.floor((page.staleAt - now) / 1000)) }, now)
    return true
  }

  /** Serves the page another request (in this process or another) rendered while this one waited. */
  serveCoalesced(at: PageRequest, page: StoredPage): true {
    this.options.stats.of(at.route.id).coalesced++
    const now = Date.now()
    this.send(at, page, { kind: 'hit', ttlSeconds: Math.ceil((page.staleAt - now) / 1000), detail: 'coalesced' }, now)
    return true
  }

  private send(at: PageRequest, page: StoredPage, outcome: CacheOutcome, now: number): void {
    sendPage(at.request, at.reply, { page, outcome, now, personal: at.route.audience !== 'public' })
  }
}
