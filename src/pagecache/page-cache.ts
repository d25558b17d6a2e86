import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { BackgroundRefresh } from './background-refresh.js'
import { Flights } from './coalesce.js'
import { GuardedStore } from './guarded-store.js'
import { HitPath } from './hit-path.js'
import { pageKeyHash, type PathRules } from './key.js'
import { PATH_HEADER, REFRESH_HEADER, SHADOW_HEADER } from '../headers.js'
import { MissPath } from './miss-path.js'
import type { ResolvedOptions } from './options.js'
import { PageStates, type Answered } from './page-state.js'
import { otherVariant, servesStale, servesVariant, variantMatches } from './origin-policy.js'
import { pageStanding, requestPolicy } from './policy.js'
import type { RouteCacheConfig } from './route-config.js'
import { RouteStatsTable, type RouteStats } from './route-stats.js'
import { StorePath } from './store-path.js'
import type { PageKey, PageStore, StoredEntry, StoredPage } from './store.js'

export { routeTag } from './page-tags.js'
export type { RouteStats }

/** What peek() needs of a request: what the key is made of. */
export interface PeekRequest {
  url: string
  /** The parsed query, as the route's handler would see it. */
  query: unknown
  headers: Record<string, string | string[] | undefined>
  /** Whose page, on a route whose pages are per user; without it such a route has nothing to peek at. */
  user?: string | undefined
}

/**
 * The page path of every opted-in route: onRequest answers from the cache
 * (HitPath) or sets up a render (MissPath); onSend stores it (StorePath).
 */
export class PageCache {
  /** Random per process: marks cutover's own renders so no client can forge one. */
  readonly token = randomUUID()
  readonly guard: GuardedStore
  private readonly stats: RouteStatsTable
  private readonly states: PageStates
  private readonly sessionCookies: ReadonlySet<string>
  private readonly hits: HitPath
  private readonly misses: MissPath
  private readonly stores: StorePath
  private readonly twins = new Set<string>()
  private readonly twinRules: PathRules

  constructor(
    app: FastifyInstance,
    options: ResolvedOptions,
    readonly store: PageStore,
    private readonly rules: PathRules,
    log: FastifyBaseLogger,
  ) {
    this.stats = new RouteStatsTable(log)
    this.states = new PageStates(this.stats)
    this.sessionCookies = options.sessionCookies
    this.guard = new GuardedStore(store, {
      timeoutMs: options.timeoutMs,
      failures: options.breaker.failures,
      cooldownMs: options.breaker.cooldownMs,
      onError: (op, err) => log.warn({ err, op, store: store.name }, 'cutover: cache call failed, serving without cache'),
    })
    const refresher = new BackgroundRefresh({
      app,
      token: this.token,
      leaseTtlMs: options.lease.ttlMs,
      lease: this.guard.remote ? this.guard : undefined,
      log,
    })
    const { guard, stats, states } = this
    this.hits = new HitPath({ guard, stats, states, refresher, xfetchBeta: options.xfetchBeta })
    const flights = new Flights(options.lease.ttlMs)
    this.twinRules = Object.freeze({ ...rules, ignoreTrailingSlash: true })
    const rulesOf = (routeId: string): PathRules => this.rulesOf(routeId)
    this.misses = new MissPath({ guard, stats, states, flights, hits: this.hits, lease: options.lease, rulesOf })
    this.stores = new StorePath({ guard, stats, states, passTtlMs: options.passTtlMs, log, rulesOf, sessionCookies: options.sessionCookies })
  }

  /**
   * One route registered at both `/p` and `/p/` with the same handler (what
   * Fastify does for a `'/'` route in a prefixed plugin): both URLs are one
   * page, so the key and the render fold the trailing slash for this route.
   */
  foldTrailingSlash(routeId: string): void {
    this.twins.add(routeId)
  }

  /** How a route's paths are folded into keys. */
  rulesOf(routeId: string): PathRules {
    return this.twins.size > 0 && this.twins.has(routeId) ? this.twinRules : this.rules
  }

  statsOf(routeId: string): RouteStats {
    return this.stats.of(routeId)
  }

  allStats(): Record<string, RouteStats> {
    return this.stats.all()
  }

  /** True when the header carries this process's token. */
  isOwnMarker(value: string | string[] | undefined): boolean {
    if (typeof value !== 'string' || value.length !== this.token.length) return false
    return timingSafeEqual(Buffer.from(value), Buffer.from(this.token))
  }

  keyOf(route: RouteCacheConfig, request: PeekRequest, user: string | undefined): PageKey {
    const hash = pageKeyHash({
      routeId: route.id,
      url: request.url,
      query: request.query,
      queryAllow: route.query,
      headers: request.headers,
      vary: route.vary,
      user,
      rules: this.rulesOf(route.id),
    })
    return { route: route.id, hash }
  }

  /**
   * The page path's onRequest: answer from the cache, or set the request up
   * to render and store. A page held in process memory (with its tags'
   * states) is answered in this turn, without a promise; the rest is async.
   */
  onRequest(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply): Answered | Promise<Answered> {
    reply.header(PATH_HEADER, 'page')
    const { states } = this
    if (this.isOwnMarker(request.headers[SHADOW_HEADER])) return states.bypass(route, request, 'shadow', false)
    const allowed = requestPolicy(route, request, this.sessionCookies)
    if (!allowed.ok) return states.bypass(route, request, allowed.reason)
    let user: string | undefined
    if (route.user) {
      // Who asks: the key for audience "user"; for "authenticated" only the
      // gate, so no one signed out is served (or stores) the shared page.
      user = route.user(request)
      if (user === undefined) return states.bypass(route, request, 'no-user')
    }
    const key = this.keyOf(route, request, route.keysOnUser ? user : undefined)
    if (this.isOwnMarker(request.headers[REFRESH_HEADER])) return this.refreshRender(route, request, key)
    if (!this.guard.available) return states.bypass(route, request, 'cache-unavailable')
    // A page the store holds in process memory needs no I/O: no promise, timer or timeout for it.
    const held = this.guard.held(key)
    // Served from it now when it may be; anything else (gone, to revalidate, its tag states not held) takes the async path.
    if (held?.kind === 'page' && (held.origin?.vary === undefined || variantMatches(held.origin.vary, request.headers))) {
      if (this.hits.serveHeld({ route, request, reply }, key, held) === true) return true
    }
    return this.lookupAndAnswer(route, request, reply, key, held)
  }

  /** A refresh render (cutover's own request, marked with the token): render and store, never served from the cache. */
  private async refreshRender(route: RouteCacheConfig, request: FastifyRequest, key: PageKey): Promise<Answered> {
    // The handler never sees the token, so a page that echoes headers can't store it for everyone.
    delete request.raw.headers[REFRESH_HEADER]
    if (route.followOrigin) key = await this.variantOf(route, request, key)
    return this.misses.render({ route, request }, { key, phase: 'refresh', settle: undefined })
  }

  /** onRequest past the memory layer: the store's lookup (taking the render lease with it when it can), then hit or miss. */
  private async lookupAndAnswer(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply, key: PageKey, held: StoredEntry | undefined): Promise<Answered> {
    const { states } = this
    // A GET that may render takes the render lease in its lookup's round trip when the store can.
    const early = held === undefined && this.misses.leasesOnLookup(route, request, key) ? await this.lookup(route, request, key, () => this.misses.lookupOrLease(key)) : undefined
    if (early === 'bypassed') return false
    let entry = held ?? (early ? early.entry : await this.lookup(route, request, key, () => this.guard.get(key)))
    if (entry === 'bypassed') return false
    // A followOrigin page for other values of the headers its Vary nominates: this request's variant has its own key.
    const variant = otherVariant(entry, key, request.headers)
    if (variant !== undefined) {
      key = variant.key
      entry = await this.lookup(route, request, key, () => this.guard.get(variant.key))
      if (entry === 'bypassed') return false
      if (!servesVariant(entry, variant, request.headers)) entry = undefined
    }
    if (entry?.kind === 'pass') return states.bypass(route, request, 'pass')
    const at = { route, request, reply }
    let revalidating: StoredPage | undefined
    if (entry?.kind === 'page') {
      // States the lookup read in its own round trip belong to its entry only (not to a variant's).
      const served = await this.hits.serveStored(at, key, entry, early !== undefined && early.entry === entry ? early.tagStates : undefined)
      if (served === 'revalidate') revalidating = entry
      else if (served || states.has(request)) return served
    }
    // A HEAD render has no body to store for GET: answer it from the handler.
    if (request.method === 'HEAD') return states.bypass(route, request, 'head-miss')
    return this.misses.miss(at, key, entry?.kind === 'page' ? entry : undefined, revalidating, early?.entry === undefined ? early : undefined)
  }

  /** The key of the request's variant when the page stored under the primary key varies on other values (a refresh stores there). */
  private async variantOf(route: RouteCacheConfig, request: FastifyRequest, key: PageKey): Promise<PageKey> {
    const entry = await this.guard.get(key).catch(() => undefined)
    return otherVariant(entry, key, request.headers)?.key ?? key
  }

  /** The stored entry of a key; a corrupt one is deleted and read as none, a failing store bypasses. */
  private async lookup<T>(route: RouteCacheConfig, request: FastifyRequest, key: PageKey, read: () => Promise<T>): Promise<T | undefined | 'bypassed'> {
    try {
      return await read()
    } catch (err) {
      this.stats.of(route.id).errors++
      if ((err as { code?: string }).code !== 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY') {
        this.states.bypass(route, request, 'cache-error')
        return 'bypassed'
      }
      this.guard.delete([key]).catch(() => {})
      return undefined
    }
  }

  /**
   * The page the cache would serve for a request now, and its age, read
   * without storing, refreshing or counting anything (shadow comparisons use
   * it). On a route whose pages are per user, the page of `request.user`;
   * none without it.
   */
  async peek(route: RouteCacheConfig, request: PeekRequest): Promise<{ page: StoredPage; ageMs: number } | undefined> {
    if (route.keysOnUser && request.user === undefined) return undefined
    const read = (key: PageKey): Promise<StoredEntry | undefined> =>
      this.guard.get(key).catch((err: unknown) => {
        // A corrupt entry is one the cache would not serve (a hit deletes it; a read-only peek leaves it).
        if ((err as { code?: string }).code === 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY') return undefined
        throw err
      })
    const key = this.keyOf(route, request, route.keysOnUser ? request.user : undefined)
    let entry = await read(key)
    // A followOrigin page for other values of the headers its Vary nominates: this request's variant is read as a lookup reads it.
    const variant = otherVariant(entry, key, request.headers)
    if (variant !== undefined) {
      entry = await read(variant.key)
      if (!servesVariant(entry, variant, request.headers)) return undefined
    }
    if (entry?.kind !== 'page') return undefined
    const tags = Object.keys(entry.tags)
    const states = tags.length > 0 ? await this.guard.tagStates(tags) : {}
    const now = Date.now()
    const standing = pageStanding(entry, states, route.staleMs, now)
    if (standing === 'gone' || (standing === 'stale' && !servesStale(entry, route.staleMs, now))) return undefined
    return { page: entry, ageMs: now - entry.storedAt }
  }

  /** True when onSend has work for this request (a render to store or a bypass to label). */
  hasState(request: FastifyRequest): boolean {
    return this.states.has(request)
  }

  /** onSend: label the response and, after a render, store it (without making the user wait). */
  async onSend(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    return this.stores.onSend({ route, request, reply }, payload)
  }
}
