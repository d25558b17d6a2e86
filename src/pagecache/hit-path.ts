import type { BackgroundRefresh } from './background-refresh.js'
import type { GuardedStore } from './guarded-store.js'
import type { PageRequest, PageStates } from './page-state.js'
import { servesStale } from './origin-policy.js'
import { pageStanding, shouldRefreshEarly } from './policy.js'
import { sendPage, type CacheOutcome } from './respond.js'
import type { RouteStatsTable } from './route-stats.js'
import type { PageKey, StoredPage, TagState } from './store.js'

export interface HitPathOptions {
  guard: Pick<GuardedStore, 'tagStates'>
  stats: RouteStatsTable
  states: PageStates
  refresher: Pick<BackgroundRefresh, 'refresh'>
  xfetchBeta: number
}

/** Answers requests from stored pages: fresh hits, stale serves (with a background refresh) and coalesced waits. */
export class HitPath {
  constructor(private readonly options: HitPathOptions) {}

  /**
   * Serves a stored page if it may still be served; false means treat as a
   * miss, 'revalidate' a miss that revalidates this stale followOrigin page.
   */
  async serveStored(at: PageRequest, key: PageKey, page: StoredPage): Promise<boolean | 'revalidate'> {
    const { route, request } = at
    let states: Record<string, TagState> = {}
    const tags = Object.keys(page.tags)
    if (tags.length > 0) {
      try {
        states = await this.options.guard.tagStates(tags)
      } catch {
        this.options.stats.of(route.id).errors++
        return this.options.states.bypass(route, request, 'cache-error')
      }
    }
    const now = Date.now()
    const standing = pageStanding(page, states, route.staleMs, now)
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
