import type { FastifyBaseLogger } from 'fastify'
import { CACHE_STATUS_HEADER } from '../headers.js'
import { entryProblem } from './entry-shape.js'
import type { GuardedStore } from './guarded-store.js'
import { MAX_PAGE_TAGS } from './limits.js'
import type { PageRequest, PageStates, RenderState } from './page-state.js'
import { withBodyTags } from './page-tags.js'
import { markPersonal } from './personal.js'
import { responsePolicy } from './policy.js'
import { cacheStatus, storableHeaders, strongEtag, type CacheOutcome } from './respond.js'
import type { RouteStatsTable } from './route-stats.js'
import type { StoredPage } from './store.js'

export interface StorePathOptions {
  guard: GuardedStore
  stats: RouteStatsTable
  states: PageStates
  /** How long "not storable" is remembered for a key; 0 remembers nothing. */
  passTtlMs: number
  log: FastifyBaseLogger
  /** Declared session cookies: their Set-Cookie is left out of the stored copy (see responsePolicy). */
  sessionCookies: ReadonlySet<string>
}

/** A rendered response on its way out: what the handler sent, and the render it came from. */
interface Rendered {
  at: PageRequest
  payload: unknown
  state: RenderState
  release: () => void
}

/**
 * onSend of the page path: labels the response, and after a render stores it
 * (without making the user wait) or remembers that it can't be stored.
 */
export class StorePath {
  constructor(private readonly options: StorePathOptions) {}

  async onSend(at: PageRequest, payload: unknown): Promise<unknown> {
    const { route, request, reply } = at
    const state = this.options.states.take(request)
    if (!state) return payload
    if (state.phase === 'bypass') {
      if (state.personal) markPersonal(reply)
      reply.header(CACHE_STATUS_HEADER, cacheStatus({ kind: 'bypass', detail: state.detail }))
      return payload
    }
    let lease = state.lease
    const release = (): void => {
      if (lease) this.options.guard.releaseLease(state.key, lease).catch(() => {})
      lease = undefined
    }
    let outcome: CacheOutcome
    try {
      outcome = await this.storeRender({ at, payload, state, release })
    } catch (err) {
      // Whatever broke, the render's followers and the other processes waiting
      // on its lease must hear now that no page is coming, not at their timeout.
      state.settle?.({ kind: 'none', reason: 'store-error' })
      release()
      this.options.stats.of(route.id).errors++
      this.options.log.warn({ err, route: route.id }, 'cutover: storing the page failed')
      outcome = { kind: 'miss', stored: false, detail: 'store-error' }
    }
    // After the store decision: the stored page keeps the handler's headers, the client gets private ones.
    if (route.audience !== 'public') markPersonal(reply)
    if (outcome.kind === 'miss' && !outcome.stored) this.options.stats.notStored(route.id, outcome.detail ?? 'unknown')
    reply.header(CACHE_STATUS_HEADER, cacheStatus(outcome))
    return payload
  }

  private async storeRender(rendered: Rendered): Promise<CacheOutcome> {
    const { at, payload, state, release } = rendered
    const { route, request, reply } = at
    const renderMs = performance.now() - state.started
    const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.isBuffer(payload) ? payload : undefined
    const headers = reply.getHeaders()
    const decision = body
      ? responsePolicy(route, {
          status: reply.statusCode,
          headers,
          bodyBytes: body.length,
          requestHeaders: request.headers,
          url: request.url,
          sessionCookies: this.options.sessionCookies,
        })
      : ({ ok: false, reason: 'stream' } as const)
    if (!decision.ok || !body) return this.pass(rendered, decision.ok ? 'stream' : decision.reason)
    const tagVersions = await withBodyTags(this.options.guard, this.options.log, { route, request, body, headers, versions: state.tagVersions })
    if (!tagVersions) {
      state.settle?.({ kind: 'none', reason: 'tags-error' })
      release()
      return { kind: 'miss', stored: false, detail: 'tags-error' }
    }
    // Every hit reads the state of every tag: a page under too many is not stored.
    if (Object.keys(tagVersions).length > MAX_PAGE_TAGS) return this.pass(rendered, 'too-many-tags')
    // A handler's ETag is kept when it is one field value; anything else (an
    // array, a number) is replaced by cutover's own validator.
    let etag = typeof headers.etag === 'string' ? headers.etag : undefined
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
    // A page Node can't replay (a header value outside Latin-1, say) would make every hit a 500.
    if (entryProblem(page) !== undefined) return this.pass(rendered, 'unreplayable')
    state.settle?.({ kind: 'page', page })
    this.options.stats.of(route.id).stored++
    this.options.guard.set(state.key, page).catch(() => this.options.stats.of(route.id).errors++).finally(release)
    return { kind: 'miss', stored: true }
  }

  /** A render that can't be stored: its waiters render for themselves, and later misses pass for a while. */
  private pass(rendered: Rendered, reason: string): CacheOutcome {
    const { at, state, release } = rendered
    state.settle?.({ kind: 'none', reason })
    // Remember "not storable" for a while so later misses don't queue behind renders that can't be stored.
    const now = Date.now()
    const { passTtlMs, guard } = this.options
    if (at.route.statuses.has(at.reply.statusCode) && passTtlMs > 0) {
      guard.set(state.key, { kind: 'pass', reason, storedAt: now, deleteAt: now + passTtlMs }).catch(() => {}).finally(release)
    } else release()
    return { kind: 'miss', stored: false, detail: reason }
  }
}
