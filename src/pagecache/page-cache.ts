import { randomUUID, timingSafeEqual } from 'node:crypto'
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { Flights, waitForEntry, type FlightResult } from './coalesce.js'
import { BackgroundRefresh } from './background-refresh.js'
import { GuardedStore } from './guarded-store.js'
import { allowListedRequest, pageKeyHash, type PathRules } from './key.js'
import type { ResolvedOptions } from './options.js'
import { pageStanding, requestPolicy, responsePolicy, shouldRefreshEarly } from './policy.js'
import { PATH_HEADER, cacheStatus, sendPage, storableHeaders, strongEtag, type CacheOutcome } from './respond.js'
import type { RouteCacheConfig } from './route-config.js'
import type { PageKey, PageStore, StoredEntry, StoredPage, TagState } from './store.js'
import { REFRESH_HEADER, SHADOW_HEADER } from './markers.js'
import { markPersonal } from './personal.js'

export { REFRESH_HEADER, SHADOW_HEADER }

/** Every page is built under its route's tag, so a route can be purged like any tag. */
export const routeTag = (routeId: string): string => `@route:${routeId}`

/** What peek() needs of a request: what the key is made of. */
export interface PeekRequest {
  url: string
  /** The parsed query, as the route's handler would see it. */
  query: unknown
  headers: Record<string, string | string[] | undefined>
}

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

type RenderState = {
  phase: 'miss' | 'refresh'
  key: PageKey
  started: number
  tagVersions: Record<string, number>
  settle: ((result: FlightResult) => void) | undefined
}
/** `personal`: the response is a user's page of a route keyed on the user, marked private on its way out. */
type PageState = RenderState | { phase: 'bypass'; detail: string; personal: boolean }

const kState = Symbol('cutover.pageState')
type WithState = FastifyRequest & { [kState]?: PageState | null }

const idOf = (key: PageKey): string => `${key.route}\n${key.hash}`

/**
 * Bypasses of a route keyed on the user whose response is not marked private:
 * cutover's own shadow render (it never reaches a client, and is compared
 * header by header with the handler's legacy response, so marking it would
 * report cutover's own doing as a mismatch), and a request the route's `user`
 * names no one for. Every other response of such a route on the page path is
 * marked private.
 */
const NOT_PERSONAL = new Set(['shadow', 'no-user'])

/**
 * true when the request was answered from the cache. (A FastifyReply is a
 * thenable, so it must never be the resolved value of an async function.)
 */
type Answered = boolean

export class PageCache {
  /** Random per process: marks cutover's own renders so no client can forge one. */
  readonly token = randomUUID()
  readonly guard: GuardedStore
  private readonly flights: Flights
  private readonly refresher: BackgroundRefresh
  private readonly stats = new Map<string, RouteStats>()

  constructor(
    private readonly app: FastifyInstance,
    private readonly options: ResolvedOptions,
    readonly store: PageStore,
    private readonly rules: PathRules,
    private readonly log: FastifyBaseLogger,
  ) {
    this.flights = new Flights(options.lease.ttlMs)
    this.guard = new GuardedStore(store, {
      timeoutMs: options.timeoutMs,
      failures: options.breaker.failures,
      cooldownMs: options.breaker.cooldownMs,
      onError: (op, err) => this.log.warn({ err, op, store: store.name }, 'cutover: cache call failed, serving without cache'),
    })
    this.refresher = new BackgroundRefresh({
      app,
      token: this.token,
      leaseTtlMs: options.lease.ttlMs,
      lease: this.guard.remote ? this.guard : undefined,
      log,
    })
  }

  statsOf(routeId: string): RouteStats {
    let s = this.stats.get(routeId)
    if (!s) {
      s = { hit: 0, stale: 0, miss: 0, bypass: 0, stored: 0, coalesced: 0, refresh: 0, errors: 0 }
      this.stats.set(routeId, s)
    }
    return s
  }

  allStats(): Record<string, RouteStats> {
    return Object.fromEntries([...this.stats].map(([id, s]) => [id, { ...s }]))
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
      rules: this.rules,
    })
    return { route: route.id, hash }
  }

  /** The page path's onRequest: answer from the cache, or set the request up to render and store. */
  async onRequest(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply): Promise<Answered> {
    reply.header(PATH_HEADER, 'page')
    if (this.isOwnMarker(request.headers[SHADOW_HEADER])) return this.bypass(route, request, 'shadow', false)
    const allowed = requestPolicy(route, request)
    if (!allowed.ok) return this.bypass(route, request, allowed.reason)
    let user: string | undefined
    if (route.user) {
      user = route.user(request)
      if (user === undefined) return this.bypass(route, request, 'no-user')
    }
    const key = this.keyOf(route, request, user)
    if (this.isOwnMarker(request.headers[REFRESH_HEADER])) {
      // The handler never sees the token, so a page that echoes headers can't store it for everyone.
      delete request.raw.headers[REFRESH_HEADER]
      return this.render(route, request, key, 'refresh', undefined)
    }
    if (!this.guard.available) return this.bypass(route, request, 'cache-unavailable')

    let entry: StoredEntry | undefined
    try {
      entry = await this.guard.get(key)
    } catch (err) {
      this.statsOf(route.id).errors++
      if ((err as { code?: string }).code !== 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY') return this.bypass(route, request, 'cache-error')
      this.guard.delete([key]).catch(() => {})
    }
    if (entry?.kind === 'pass') return this.bypass(route, request, 'pass')
    if (entry?.kind === 'page') {
      const served = await this.serveStored(route, request, reply, key, entry)
      if (served || (request as WithState)[kState]) return served
    }
    // A HEAD render has no body to store for GET: answer it from the handler.
    if (request.method === 'HEAD') return this.bypass(route, request, 'head-miss')
    return this.miss(route, request, reply, key)
  }

  private bypass(route: RouteCacheConfig, request: FastifyRequest, detail: string, count = true): false {
    if (count) this.statsOf(route.id).bypass++
    const personal = route.user !== undefined && !NOT_PERSONAL.has(detail)
    ;(request as WithState)[kState] = { phase: 'bypass', detail, personal }
    return false
  }

  /** Serves a stored page if it may still be served; false means treat as a miss. */
  private async serveStored(
    route: RouteCacheConfig,
    request: FastifyRequest,
    reply: FastifyReply,
    key: PageKey,
    page: StoredPage,
  ): Promise<Answered> {
    let states: Record<string, TagState> = {}
    const tags = Object.keys(page.tags)
    if (tags.length > 0) {
      try {
        states = await this.guard.tagStates(tags)
      } catch {
        this.statsOf(route.id).errors++
        return this.bypass(route, request, 'cache-error')
      }
    }
    const now = Date.now()
    const standing = pageStanding(page, states, route.staleMs, now)
    if (standing === 'gone') return false
    const stats = this.statsOf(route.id)
    if (standing === 'fresh') {
      stats.hit++
      if (shouldRefreshEarly(page, now, this.options.xfetchBeta)) this.refresher.refresh(route.id, request, key)
      const outcome = { kind: 'hit', ttlSeconds: Math.ceil((page.staleAt - now) / 1000) } as const
      sendPage(request, reply, { page, outcome, now, personal: route.user !== undefined })
      return true
    }
    stats.stale++
    this.refresher.refresh(route.id, request, key)
    const outcome = { kind: 'stale', ttlSeconds: Math.min(0, Math.floor((page.staleAt - now) / 1000)) } as const
    sendPage(request, reply, { page, outcome, now, personal: route.user !== undefined })
    return true
  }

  /**
   * The page the cache would serve for a request now, and its age, read
   * without storing, refreshing or counting anything (shadow comparisons use
   * it). Routes keyed on the user are not read: their key needs the live request.
   */
  async peek(route: RouteCacheConfig, request: PeekRequest): Promise<{ page: StoredPage; ageMs: number } | undefined> {
    if (route.user) return undefined
    const key = this.keyOf(route, request, undefined)
    const entry = await this.guard.get(key)
    if (entry?.kind !== 'page') return undefined
    const tags = Object.keys(entry.tags)
    const states = tags.length > 0 ? await this.guard.tagStates(tags) : {}
    const now = Date.now()
    if (pageStanding(entry, states, route.staleMs, now) === 'gone') return undefined
    return { page: entry, ageMs: now - entry.storedAt }
  }

  private async miss(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply, key: PageKey): Promise<Answered> {
    const id = idOf(key)
    const pending = this.flights.follow(id)
    if (pending) {
      const result = await pending
      if (result.kind === 'page') return this.serveCoalesced(route, request, reply, result.page)
      return this.bypass(route, request, result.reason)
    }
    const settle = this.flights.lead(id)
    if (!settle) return this.miss(route, request, reply, key)
    if (this.guard.remote) {
      let token: string | null
      try {
        token = await this.guard.acquireLease(key, this.options.lease.ttlMs)
      } catch {
        // The cache is failing: render without the lease and without storing.
        settle({ kind: 'none', reason: 'cache-error' })
        return this.bypass(route, request, 'cache-error')
      }
      if (token === null) return this.awaitOtherProcess(route, request, reply, key, settle)
      return this.render(route, request, key, 'miss', settle, token)
    }
    return this.render(route, request, key, 'miss', settle)
  }

  private serveCoalesced(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply, page: StoredPage): true {
    this.statsOf(route.id).coalesced++
    const now = Date.now()
    const outcome = { kind: 'hit', ttlSeconds: Math.ceil((page.staleAt - now) / 1000), detail: 'coalesced' } as const
    sendPage(request, reply, { page, outcome, now, personal: route.user !== undefined })
    return true
  }

  /** Another process holds the render lease: wait for its page, or render uncached when it doesn't come. */
  private async awaitOtherProcess(
    route: RouteCacheConfig,
    request: FastifyRequest,
    reply: FastifyReply,
    key: PageKey,
    settle: (result: FlightResult) => void,
  ): Promise<Answered> {
    const found = await waitForEntry(() => this.guard.get(key).catch(() => undefined), this.options.lease)
    if (found?.kind === 'page') {
      settle({ kind: 'page', page: found })
      return this.serveCoalesced(route, request, reply, found)
    }
    const reason = found?.kind === 'pass' ? 'pass' : 'lease-timeout'
    settle({ kind: 'none', reason })
    return this.bypass(route, request, reason)
  }

  private async render(
    route: RouteCacheConfig,
    request: FastifyRequest,
    key: PageKey,
    phase: RenderState['phase'],
    settle: RenderState['settle'],
    lease?: string,
  ): Promise<false> {
    if (route.query !== true) {
      // The handler of a render that may be stored sees only what the key holds.
      const clean = allowListedRequest(request.url, request.query, route.query)
      request.raw.url = clean.url
      request.query = clean.query
    }
    const tags = [routeTag(route.id), ...route.staticTags]
    let tagVersions: Record<string, number>
    try {
      const states = await this.guard.tagStates(tags)
      tagVersions = Object.fromEntries(tags.map((t) => [t, states[t]?.version ?? 0]))
    } catch {
      settle?.({ kind: 'none', reason: 'cache-error' })
      if (lease) this.guard.releaseLease(key, lease).catch(() => {})
      return this.bypass(route, request, 'cache-error')
    }
    this.statsOf(route.id)[phase === 'miss' ? 'miss' : 'refresh']++
    const state: RenderState & { lease?: string } = { phase, key, started: performance.now(), tagVersions, settle }
    if (lease) state.lease = lease
    ;(request as WithState)[kState] = state
    return false
  }

  /** True when onSend has work for this request (a render to store or a bypass to label). */
  hasState(request: FastifyRequest): boolean {
    return Boolean((request as WithState)[kState])
  }

  /** onSend: label the response and, after a render, store it (without making the user wait). */
  async onSend(route: RouteCacheConfig, request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const req = request as WithState
    const state = req[kState]
    if (!state) return payload
    req[kState] = null
    if (state.phase === 'bypass') {
      if (state.personal) markPersonal(reply)
      reply.header('cache-status', cacheStatus({ kind: 'bypass', detail: state.detail }))
      return payload
    }
    const lease = (state as { lease?: string }).lease
    const outcome = await this.storeRender(route, request, reply, payload, state, lease)
    // After the store decision: the stored page keeps the handler's headers, the client gets private ones.
    if (route.user) markPersonal(reply)
    reply.header('cache-status', cacheStatus(outcome))
    return payload
  }

  private async storeRender(
    route: RouteCacheConfig,
    request: FastifyRequest,
    reply: FastifyReply,
    payload: unknown,
    state: RenderState,
    lease: string | undefined,
  ): Promise<CacheOutcome> {
    const release = (): void => {
      if (lease) this.guard.releaseLease(state.key, lease).catch(() => {})
    }
    const renderMs = performance.now() - state.started
    const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : undefined
    const headers = reply.getHeaders()
    const decision = body
      ? responsePolicy(route, { status: reply.statusCode, headers, bodyBytes: body.length, requestHeaders: request.headers, url: request.url })
      : ({ ok: false, reason: 'stream' } as const)
    if (!decision.ok || !body) {
      const reason = decision.ok ? 'stream' : decision.reason
      state.settle?.({ kind: 'none', reason })
      // Remember "not storable" for a while so later misses don't queue behind renders that can't be stored.
      const now = Date.now()
      if (route.statuses.has(reply.statusCode) && this.options.passTtlMs > 0) {
        this.guard.set(state.key, { kind: 'pass', reason, storedAt: now, deleteAt: now + this.options.passTtlMs }).catch(() => {}).finally(release)
      } else release()
      return { kind: 'miss', stored: false, detail: reason }
    }
    const tagVersions = await this.dynamicTags(route, request, body, headers, state.tagVersions)
    if (!tagVersions) {
      state.settle?.({ kind: 'none', reason: 'tags-error' })
      release()
      return { kind: 'miss', stored: false, detail: 'tags-error' }
    }
    let etag = headers.etag as string | undefined
    if (etag === undefined) {
      etag = strongEtag(body)
      reply.header('etag', etag)
    }
    const now = Date.now()
    const page: StoredPage = {
      kind: 'page',
      status: reply.statusCode,
      headers: storableHeaders(headers),
      body,
      etag,
      storedAt: now,
      staleAt: now + decision.ttlMs,
      deleteAt: now + decision.ttlMs + decision.staleMs,
      tags: tagVersions,
      renderMs,
    }
    state.settle?.({ kind: 'page', page })
    this.statsOf(route.id).stored++
    this.guard.set(state.key, page).catch(() => this.statsOf(route.id).errors++).finally(release)
    return { kind: 'miss', stored: true }
  }

  /** Adds the versions of tags computed from the rendered body; undefined when they can't be had. */
  private async dynamicTags(
    route: RouteCacheConfig,
    request: FastifyRequest,
    body: Buffer,
    headers: Record<string, unknown>,
    versions: Record<string, number>,
  ): Promise<Record<string, number> | undefined> {
    if (!route.tagsFn) return versions
    try {
      const type = String(headers['content-type'] ?? '')
      const text = body.toString('utf8')
      const parsed: unknown = type.includes('json') ? JSON.parse(text) : text
      const tags = [...new Set(route.tagsFn(request, parsed))].filter((t) => typeof t === 'string' && t.length > 0 && !t.startsWith('@'))
      const fresh = tags.filter((t) => versions[t] === undefined)
      if (fresh.length === 0) return versions
      const states = await this.guard.tagStates(fresh)
      return { ...versions, ...Object.fromEntries(fresh.map((t) => [t, states[t]?.version ?? 0])) }
    } catch (err) {
      this.log.warn({ err, route: route.id }, 'cutover: tags could not be computed; page not stored')
      return undefined
    }
  }
}
