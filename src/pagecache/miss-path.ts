import type { FastifyRequest } from 'fastify'
import type { RouteCacheConfig } from './route-config.js'
import type { Flights, FlightResult } from './coalesce.js'
import type { GuardedStore } from './guarded-store.js'
import type { HitPath } from './hit-path.js'
import { normalizePath, renderedRequest, type PathRules } from './key.js'
import { variantMatches } from './origin-policy.js'
import type { ClientValidators } from './origin-store.js'
import type { ResolvedOptions } from './options.js'
import type { Answered, PageRequest, PageStates, RenderState } from './page-state.js'
import { renderTagVersions, uriTag } from './page-tags.js'
import type { RouteStatsTable } from './route-stats.js'
import type { LookupOrLease, PageKey, StoredPage } from './store.js'

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

/** A promise's outcome as a value: read later, or never, without an unhandled rejection in between. */
type Settled<T> = { ok: true; value: T } | { ok: false }
const settled = <T>(p: Promise<T>): Promise<Settled<T>> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    () => ({ ok: false as const }),
  )

const idOf = (key: PageKey): string => `${key.route}\n${key.hash}`
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** The same stored page (the one a lookup judged gone), not a successor. */
const sameStored = (page: StoredPage, seen: StoredPage | undefined): boolean =>
  seen !== undefined && page.storedAt === seen.storedAt && page.etag === seen.etag

/** A miss waiting on another process's render lease. */
interface Waiting {
  key: PageKey
  settle: (result: FlightResult) => void
  seen: StoredPage | undefined
}

/**
 * A request the cache has no page for: it waits for a render already in the
 * air for its key (in this process, or in another holding the render lease),
 * or becomes the one render whose page onSend stores.
 */
export class MissPath {
  constructor(private readonly options: MissPathOptions) {}

  /** `seen` is the page the lookup found and judged gone (purged or expired), if any: never served while waiting. */
  /**
   * `seen` is the page the lookup found and judged gone (purged or expired), if any: never served while waiting.
   * `revalidating` is a stale page of a followOrigin route the render revalidates.
   */
  /**
   * Whether this request's lookup should take the render lease in the same
   * round trip: a GET of a route that is not followOrigin, on a shared store
   * that can, with no render of its key already in the air in this process
   * (its waiters follow that one).
   */
  leasesOnLookup(route: RouteCacheConfig, request: FastifyRequest, key: PageKey): boolean {
    return this.options.guard.leasesOnLookup && request.method === 'GET' && !route.followOrigin && !this.options.flights.pending(idOf(key))
  }

  lookupOrLease(key: PageKey): Promise<LookupOrLease> {
    return this.options.guard.getOrLease(key, this.options.lease.ttlMs)
  }

  /**
   * `early`: what a lookup that found nothing learned of the render lease
   * (taken, or held by another process): no second round trip for it.
   */
  async miss(at: PageRequest, key: PageKey, seen?: StoredPage, revalidating?: StoredPage, early?: LookupOrLease): Promise<Answered> {
    const { flights, guard, states } = this.options
    const id = idOf(key)
    const pending = flights.follow(id)
    if (pending) {
      this.dropEarly(key, early)
      const result = await pending
      if (result.kind === 'page') return this.serveFollowed(at, result.page)
      return states.bypass(at.route, at.request, result.reason)
    }
    const settle = flights.lead(id)
    if (!settle) {
      this.dropEarly(key, early)
      return this.miss(at, key, seen, revalidating)
    }
    if (!guard.remote) return this.render(at, { key, phase: 'miss', settle, revalidating })
    if (early?.lease) return this.render(at, { key, phase: 'miss', settle, lease: early.lease, revalidating })
    if (early?.held) return this.awaitOtherProcess(at, { key, settle, seen })
    // The tag versions a render needs are read beside the lease, not after it: one round trip's wait on a miss, not two.
    // Read before the render starts either way, so a purge during the render still leaves its page stale.
    const tagVersions = settled(this.tagVersionsOf(at))
    let lease: string | null
    try {
      lease = await guard.acquireLease(key, this.options.lease.ttlMs)
    } catch {
      // The cache is failing: render without the lease and without storing.
      settle({ kind: 'none', reason: 'cache-error' })
      return states.bypass(at.route, at.request, 'cache-error')
    }
    if (lease === null) return this.awaitOtherProcess(at, { key, settle, seen })
    return this.render(at, { key, phase: 'miss', settle, lease, revalidating }, tagVersions)
  }

  /** The versions of the route's own tags (and of its URI tag, on a followOrigin route) that a render of this request is stored with. */
  private tagVersionsOf(at: Omit<PageRequest, 'reply'>): Promise<Record<string, number>> {
    return renderTagVersions(this.options.guard, at.route, this.uriOf(at))
  }

  /** The URI tag of a followOrigin render: the target URI's, taken before the render's URL is rewritten. */
  private uriOf(at: Omit<PageRequest, 'reply'>): string | undefined {
    const { route, request } = at
    return route.followOrigin ? uriTag(String(request.headers.host ?? ''), normalizePath(request.url, this.options.rulesOf(route.id))) : undefined
  }

  /** Lets go of a lease a lookup took for a render another request of this process leads. */
  private dropEarly(key: PageKey, early: LookupOrLease | undefined): void {
    if (early?.lease) this.options.guard.releaseLease(key, early.lease).catch(() => {})
  }

  /**
   * Serves the page another render of the same key made, unless it is a
   * variant for other values of the headers its Vary nominates (RFC 9111
   * §4.1): then this request is answered by its handler, uncached.
   */
  private serveFollowed(at: PageRequest, page: StoredPage): Answered {
    const vary = page.origin?.vary
    if (vary !== undefined && !variantMatches(vary, at.request.headers)) return this.options.states.bypass(at.route, at.request, 'vary-mismatch')
    return this.options.hits.serveCoalesced(at, page)
  }

  /**
   * Another process holds the render lease: wait for its page. Each look
   * tries the lease first, then reads the entry. Taking the lease means the
   * holder let go (stored its page, failed, or was a lease whose acquisition
   * timed out and was released), and since a holder stores before it
   * releases, the read that follows sees whatever it stored: a page is served,
   * none means this request renders and stores in its place. So no waiter
   * waits out `lease.wait` for a render that is over; a lease nobody releases
   * (its holder died) still costs waiters up to `lease.wait`.
   */
  private async awaitOtherProcess(at: PageRequest, wait: Waiting): Promise<Answered> {
    const { guard, lease, states } = this.options
    const { key, settle, seen } = wait
    const until = Date.now() + lease.waitMs
    while (Date.now() < until) {
      await sleep(lease.pollMs)
      const taken = await guard.acquireLease(key, lease.ttlMs).catch(() => null)
      const found = await guard.get(key).catch(() => undefined)
      const page = found?.kind === 'page' && !sameStored(found, seen) ? found : undefined
      if (taken !== null && page === undefined && found?.kind !== 'pass') return this.render(at, { key, phase: 'miss', settle, lease: taken })
      if (taken !== null) guard.releaseLease(key, taken).catch(() => {})
      if (page) {
        settle({ kind: 'page', page })
        return this.serveFollowed(at, page)
      }
      if (found?.kind === 'pass') {
        settle({ kind: 'none', reason: 'pass' })
        return states.bypass(at.route, at.request, 'pass')
      }
    }
    settle({ kind: 'none', reason: 'lease-timeout' })
    return states.bypass(at.route, at.request, 'lease-timeout')
  }

  /** Sets the request up to be rendered by its handler and stored in onSend (a miss, or a background refresh). */
  async render(
    at: Omit<PageRequest, 'reply'>,
    render: Pick<RenderState, 'key' | 'phase' | 'settle' | 'lease' | 'revalidating'>,
    readTags: Promise<Settled<Record<string, number>>> = settled(this.tagVersionsOf(at)),
  ): Promise<false> {
    const { route, request } = at
    const { guard, states } = this.options
    const rules = this.options.rulesOf(route.id)
    const uri = this.uriOf(at)
    // The handler of a render that may be stored sees only what the key holds.
    const seen = renderedRequest(request.url, request.query, route.query, rules)
    request.raw.url = seen.url
    request.query = seen.query
    if (render.revalidating) askConditionally(request, render.revalidating)
    const read = await readTags
    const tagVersions = read.ok ? read.value : undefined
    if (tagVersions === undefined) {
      render.settle?.({ kind: 'none', reason: 'cache-error' })
      if (render.lease) guard.releaseLease(render.key, render.lease).catch(() => {})
      return states.bypass(route, request, 'cache-error')
    }
    this.options.stats.of(route.id)[render.phase === 'miss' ? 'miss' : 'refresh']++
    const state: RenderState = { phase: render.phase, key: render.key, started: performance.now(), tagVersions, settle: render.settle }
    if (render.lease) state.lease = render.lease
    if (render.revalidating) state.revalidating = render.revalidating
    if (uri !== undefined) state.uri = uri
    return states.render(request, state)
  }
}

/**
 * Turns the render into a conditional request for the stored page (RFC 9111
 * §4.3.1): its ETag when the origin made it, its Last-Modified. The client's
 * own validators are replaced; it is answered from the page the result leaves.
 */
function askConditionally(request: FastifyRequest, page: StoredPage): void {
  const headers = request.raw.headers
  const asked: ClientValidators = { ifNoneMatch: one(headers['if-none-match']), ifModifiedSince: one(headers['if-modified-since']) }
  ;(request as Asked)[kAsked] = asked
  delete headers['if-none-match']
  delete headers['if-modified-since']
  delete headers['if-match']
  delete headers['if-unmodified-since']
  delete headers['if-range']
  delete headers.range
  if (page.origin?.etag) headers['if-none-match'] = page.etag
  const lastModified = page.headers['last-modified']
  if (typeof lastModified === 'string') headers['if-modified-since'] = lastModified
}

const kAsked = Symbol('cutover.clientValidators')
type Asked = FastifyRequest & { [kAsked]?: ClientValidators }
const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v.join(', ') : v)

/** The validators the client sent, as they were before a revalidation replaced them. */
export function clientValidatorsOf(request: FastifyRequest): ClientValidators {
  const asked = (request as Asked)[kAsked]
  if (asked) return asked
  return { ifNoneMatch: one(request.headers['if-none-match']), ifModifiedSince: one(request.headers['if-modified-since']) }
}
