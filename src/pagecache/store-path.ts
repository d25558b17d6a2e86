import type { FastifyBaseLogger } from 'fastify'
import { CACHE_STATUS_HEADER } from '../headers.js'
import { entryProblem } from './entry-shape.js'
import type { GuardedStore } from './guarded-store.js'
import { MAX_PAGE_TAGS } from './limits.js'
import type { PageRequest, PageStates, RenderState } from './page-state.js'
import { bodyTags, readFreshTags, type BodyTags } from './page-tags.js'
import { clientValidatorsOf } from './miss-path.js'
import { markPersonal } from './personal.js'
import { responsePolicy } from './policy.js'
import { cacheStatus, storableHeaders, strongEtag, type CacheOutcome } from './respond.js'
import type { RouteStatsTable } from './route-stats.js'
import type { StoredPage } from './store.js'
import type { PathRules } from './key.js'
import { answerWithPage, decideOrigin, freshenedHeaders, originPage, originStorableHeaders, standsInForError } from './origin-store.js'
import { uriTag } from './page-tags.js'
import { invalidatedUris } from './unsafe-invalidation.js'

export interface StorePathOptions {
  guard: GuardedStore
  stats: RouteStatsTable
  states: PageStates
  /** How long "not storable" is remembered for a key; 0 remembers nothing. */
  passTtlMs: number
  log: FastifyBaseLogger
  /** How paths of a route are folded (unsafe requests invalidate by path). @default no folding */
  rulesOf?: (routeId: string) => PathRules
  /** Declared session cookies: their Set-Cookie is left out of the stored copy (see responsePolicy). */
  sessionCookies: ReadonlySet<string>
}

/** A rendered response on its way out: what the handler sent, and the render it came from. */
interface Rendered {
  at: PageRequest
  /** What the client is sent; a followOrigin render may replace it (a 304 folded into the stored page). */
  payload: unknown
  state: RenderState
  release: () => void
}

/** How many tags a page is stored under. */
const tagCount = (tags: BodyTags): number => Object.keys(tags.versions).length + tags.fresh.length
/** The tags with the versions known at the end of the render (the fresh ones at 0 until read): what the page's waiters are handed. */
const knownTags = (tags: BodyTags): Record<string, number> => ({ ...tags.versions, ...Object.fromEntries(tags.fresh.map((t) => [t, 0])) })

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
      if (route.followOrigin && state.detail === 'method') await this.invalidateUnsafe(at)
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
    const rendered: Rendered = { at, payload, state, release }
    try {
      outcome = route.followOrigin ? await this.storeOriginRender(rendered) : await this.storeRender(rendered)
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
    return rendered.payload
  }

  /**
   * An unsafe request answered without error invalidates the pages of its
   * target URI and of its Location and Content-Location on the same host
   * (RFC 9111 §4.4), before the response goes out, so the client's next
   * request can't be answered with what it just changed. A failing store is
   * logged and counted; the response goes out all the same.
   */
  private async invalidateUnsafe(at: PageRequest): Promise<void> {
    const { route, request, reply } = at
    const headers = reply.getHeaders()
    const host = request.headers.host
    const uris = invalidatedUris(
      { method: request.method, url: request.url, host, status: reply.statusCode, location: headers.location, contentLocation: headers['content-location'] },
      this.options.rulesOf?.(route.id) ?? { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false },
    )
    if (uris.length === 0) return
    try {
      await this.options.guard.purgeTags(uris.map((u) => uriTag(u.host, u.path)), true)
    } catch (err) {
      this.options.stats.of(route.id).errors++
      this.options.log.warn({ err, route: route.id }, 'cutover: invalidating after an unsafe request failed')
    }
  }

  /**
   * A render of a followOrigin route: the origin's headers decide. A 304 to a
   * revalidation freshens the stored page and the client is answered from it;
   * a 5xx to one is answered with the stale page where stale-if-error allows.
   */
  private async storeOriginRender(rendered: Rendered): Promise<CacheOutcome> {
    const { at, state } = rendered
    const { route, request, reply } = at
    const stored = state.revalidating
    const now = Date.now()
    if (stored && standsInForError(stored, reply.statusCode, now)) {
      rendered.payload = answerWithPage(reply, stored, clientValidatorsOf(request), now)
      return this.pass(rendered, 'stale-if-error', { kind: 'stale', ttlSeconds: Math.min(0, Math.floor((stored.staleAt - now) / 1000)) }, false)
    }
    const body = Buffer.isBuffer(rendered.payload) ? rendered.payload : typeof rendered.payload === 'string' ? Buffer.from(rendered.payload) : undefined
    if (!body) return this.pass(rendered, 'stream')
    const headers = reply.getHeaders()
    const notModified = stored !== undefined && reply.statusCode === 304
    let candidate: { status: number; headers: Record<string, unknown>; kept: Record<string, string | string[]>; body: Buffer; etag: string | undefined }
    if (stored && notModified) {
      const fresh = freshenedHeaders(stored, headers)
      candidate = { status: stored.status, headers: fresh.judged, kept: fresh.kept, body: stored.body, etag: fresh.etag }
    } else {
      const etag = typeof headers.etag === 'string' ? headers.etag : undefined
      candidate = { status: reply.statusCode, headers, kept: originStorableHeaders(headers), body, etag }
    }
    const originEtag = candidate.etag !== undefined && (!notModified || stored?.origin?.etag === true || typeof headers.etag === 'string')
    const decision = decideOrigin(
      { route, status: candidate.status, headers: candidate.headers as Record<string, string>, body: candidate.body, requestHeaders: request.headers, url: request.url },
      originEtag,
    )
    if (!decision.ok) return this.pass(rendered, decision.reason)
    const tags = bodyTags(this.options.log, { route, request, body: candidate.body, headers: candidate.headers, versions: state.tagVersions })
    if (!tags) return this.tagsError(rendered)
    if (tagCount(tags) > MAX_PAGE_TAGS) return this.pass(rendered, 'too-many-tags')
    const versions = this.readTags(tags)
    const etag = candidate.etag ?? strongEtag(candidate.body)
    if (candidate.etag === undefined) reply.header('etag', etag)
    const base = { kind: 'page' as const, status: candidate.status, headers: candidate.kept, body: candidate.body, etag, tags: knownTags(tags), renderMs: performance.now() - state.started }
    const page = originPage(base, decision, now)
    if (entryProblem(page) !== undefined) return this.pass(rendered, 'unreplayable')
    if (notModified) rendered.payload = answerWithPage(reply, page, clientValidatorsOf(request), now)
    state.settle?.({ kind: 'page', page })
    this.store(rendered, page, versions)
    return { kind: 'miss', stored: true, ...(stored ? { detail: notModified ? 'revalidated' : 'replaced' } : {}) }
  }

  private async storeRender(rendered: Rendered): Promise<CacheOutcome> {
    const { at, payload, state } = rendered
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
    const tags = bodyTags(this.options.log, { route, request, body, headers, versions: state.tagVersions })
    if (!tags) return this.tagsError(rendered)
    // Every hit reads the state of every tag: a page under too many is not stored.
    if (tagCount(tags) > MAX_PAGE_TAGS) return this.pass(rendered, 'too-many-tags')
    const versions = this.readTags(tags)
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
      tags: knownTags(tags),
      renderMs,
    }
    // A page Node can't replay (a header value outside Latin-1, say) would make every hit a 500.
    if (entryProblem(page) !== undefined) return this.pass(rendered, 'unreplayable')
    state.settle?.({ kind: 'page', page })
    this.store(rendered, page, versions)
    return { kind: 'miss', stored: true }
  }

  /**
   * Starts reading the versions of the tags computed from the body now, as
   * the render ends (a purge after this read leaves the page stale), but the
   * user's response does not wait for it: the page is stored once it is in.
   */
  private readTags(tags: BodyTags): Promise<Record<string, number> | undefined> {
    return readFreshTags(this.options.guard, tags).catch(() => undefined)
  }

  /** Stores the page under every tag's version once they are read (after the response); not stored when they can't be. */
  private store(rendered: Rendered, page: StoredPage, versions: Promise<Record<string, number> | undefined>): void {
    const { at, state, release } = rendered
    const stats = this.options.stats.of(at.route.id)
    stats.stored++
    versions
      .then(async (tags) => {
        if (!tags) {
          stats.errors++
          this.options.stats.notStored(at.route.id, 'tags-error')
          return
        }
        await this.options.guard.set(state.key, { ...page, tags })
      })
      .catch(() => stats.errors++)
      .finally(release)
  }

  private tagsError(rendered: Rendered): CacheOutcome {
    rendered.state.settle?.({ kind: 'none', reason: 'tags-error' })
    rendered.release()
    return { kind: 'miss', stored: false, detail: 'tags-error' }
  }

  /** A render that can't be stored: its waiters render for themselves, and later misses pass for a while. */
  private pass(rendered: Rendered, reason: string, outcome?: CacheOutcome, remember = true): CacheOutcome {
    const { at, state, release } = rendered
    state.settle?.({ kind: 'none', reason })
    // Remember "not storable" for a while so later misses don't queue behind renders that can't be stored.
    // A followOrigin route whose stale page is being revalidated keeps that page instead.
    const now = Date.now()
    const { passTtlMs, guard } = this.options
    if (remember && state.revalidating === undefined && at.route.statuses.has(at.reply.statusCode) && passTtlMs > 0) {
      guard.set(state.key, { kind: 'pass', reason, storedAt: now, deleteAt: now + passTtlMs }).catch(() => {}).finally(release)
    } else release()
    return outcome ?? { kind: 'miss', stored: false, detail: reason }
  }
}
