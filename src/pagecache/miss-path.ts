import { waitForEntry, type Flights, type FlightResult } from './coalesce.js'
import type { GuardedStore } from './guarded-store.js'
import type { HitPath } from './hit-path.js'
import { renderedRequest, type PathRules } from './key.js'
import type { ResolvedOptions } from './options.js'
import type { Answered, PageRequest, PageStates, RenderState } from './page-state.js'
import { renderTagVersions } from './page-tags.js'
import type { RouteStatsTable } from './route-stats.js'
import type { PageKey } from './store.js'

export interface MissPathOptions {
  guard: GuardedStore
  stats: RouteStatsTable
  states: PageStates
  flights: Flights
  hits: Pick<HitPath, 'serveCoalesced'>
  lease: ResolvedOptions['lease']
  /** How paths of a route are folded; the render sees the path as the key holds it. */
  rulesOf: (routeId: string) => PathRules
}

const idOf = (key: PageKey): string => `${key.route}\n${key.hash}`

/**
 * A request the cache has no page for: it waits for a render already in the
 * air for its key (in this process, or in another holding the render lease),
 * or becomes the one render whose page onSend stores.
 */
export class MissPath {
  constructor(private readonly options: MissPathOptions) {}

  async miss(at: PageRequest, key: PageKey): Promise<Answered> {
    const { flights, guard, states } = this.options
    const id = idOf(key)
    const pending = flights.follow(id)
    if (pending) {
      const result = await pending
      if (result.kind === 'page') return this.options.hits.serveCoalesced(at, result.page)
      return states.bypass(at.route, at.request, result.reason)
    }
    const settle = flights.lead(id)
    if (!settle) return this.miss(at, key)
    if (!guard.remote) return this.render(at, { key, phase: 'miss', settle })
    let lease: string | null
    try {
      lease = await guard.acquireLease(key, this.options.lease.ttlMs)
    } catch {
      // The cache is failing: render without the lease and without storing.
      settle({ kind: 'none', reason: 'cache-error' })
      return states.bypass(at.route, at.request, 'cache-error')
    }
    if (lease === null) return this.awaitOtherProcess(at, key, settle)
    return this.render(at, { key, phase: 'miss', settle, lease })
  }

  /** Another process holds the render lease: wait for its page, or render uncached when it doesn't come. */
  private async awaitOtherProcess(at: PageRequest, key: PageKey, settle: (result: FlightResult) => void): Promise<Answered> {
    const found = await waitForEntry(() => this.options.guard.get(key).catch(() => undefined), this.options.lease)
    if (found?.kind === 'page') {
      settle({ kind: 'page', page: found })
      return this.options.hits.serveCoalesced(at, found)
    }
    const reason = found?.kind === 'pass' ? 'pass' : 'lease-timeout'
    settle({ kind: 'none', reason })
    return this.options.states.bypass(at.route, at.request, reason)
  }

  /** Sets the request up to be rendered by its handler and stored in onSend (a miss, or a background refresh). */
  async render(at: Omit<PageRequest, 'reply'>, render: Pick<RenderState, 'key' | 'phase' | 'settle' | 'lease'>): Promise<false> {
    const { route, request } = at
    const { guard, states } = this.options
    // The handler of a render that may be stored sees only what the key holds.
    const seen = renderedRequest(request.url, request.query, route.query, this.options.rulesOf(route.id))
    request.raw.url = seen.url
    request.query = seen.query
    let tagVersions: Record<string, number>
    try {
      tagVersions = await renderTagVersions(guard, route)
    } catch {
      render.settle?.({ kind: 'none', reason: 'cache-error' })
      if (render.lease) guard.releaseLease(render.key, render.lease).catch(() => {})
      return states.bypass(route, request, 'cache-error')
    }
    this.options.stats.of(route.id)[render.phase === 'miss' ? 'miss' : 'refresh']++
    const state: RenderState = { phase: render.phase, key: render.key, started: performance.now(), tagVersions, settle: render.settle }
    if (render.lease) state.lease = render.lease
    return states.render(request, state)
  }
}
