import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { FlightResult } from './coalesce.js'
import type { RouteStatsTable } from './route-stats.js'
import type { RouteCacheConfig } from './route-config.js'
import type { PageKey, StoredPage } from './store.js'

/** One request on the page path of a route. */
export interface PageRequest {
  route: RouteCacheConfig
  request: FastifyRequest
  reply: FastifyReply
}

/** A request whose response the handler renders and onSend may store. */
export interface RenderState {
  phase: 'miss' | 'refresh'
  key: PageKey
  started: number
  tagVersions: Record<string, number>
  settle: ((result: FlightResult) => void) | undefined
  /** The cross-process render lease this render holds, released once the page is stored or passed. */
  lease?: string
  /**
   * A stale page of a `followOrigin` route this render revalidates: a 304
   * updates it (RFC 9111 §4.3.4), an error may be answered with it (RFC 5861 §4).
   */
  revalidating?: StoredPage | undefined
  /** The URI tag (see uriTag) of a `followOrigin` route's render. */
  uri?: string
}

/** A request the handler answers without the cache; `personal`: its response is marked private. */
export interface BypassState {
  phase: 'bypass'
  detail: string
  personal: boolean
}

export type PageState = RenderState | BypassState

/**
 * true when the request was answered from the cache. (A FastifyReply is a
 * thenable, so it must never be the resolved value of an async function.)
 */
export type Answered = boolean

const kState = Symbol('cutover.pageState')
type WithState = FastifyRequest & { [kState]?: PageState | null }

/**
 * Bypasses of a route with an audience other than public whose response is not marked private:
 * cutover's own shadow render (it never reaches a client, and is compared
 * header by header with the handler's legacy response, so marking it would
 * report cutover's own doing as a mismatch), and a request the route's `user`
 * names no one for. Every other response of such a route on the page path is
 * marked private.
 */
const NOT_PERSONAL = new Set(['shadow', 'no-user'])

/**
 * Declares the request slot the page state lives in, so every request object
 * has the same shape from the start: set only on some requests, the property
 * would give those another hidden class and send V8's optimized Fastify code
 * back to the interpreter each time one comes by.
 */
export function declarePageState(app: FastifyInstance): void {
  app.decorateRequest(kState, null)
}

/** What the page path decided for each request between onRequest and onSend, kept on the request under a Symbol. */
export class PageStates {
  constructor(private readonly stats: RouteStatsTable) {}

  /** Leaves the request to its handler, labelled with why (and counted, unless `count` is false). */
  bypass(route: RouteCacheConfig, request: FastifyRequest, detail: string, count = true): false {
    if (count) {
      this.stats.of(route.id).bypass++
      this.stats.notStored(route.id, detail)
    }
    const personal = route.audience !== 'public' && !NOT_PERSONAL.has(detail)
    ;(request as WithState)[kState] = { phase: 'bypass', detail, personal }
    return false
  }

  /** Sets the request up to be rendered by its handler and stored in onSend. */
  render(request: FastifyRequest, state: RenderState): false {
    ;(request as WithState)[kState] = state
    return false
  }

  /** True when onSend has work for this request (a render to store or a bypass to label). */
  has(request: FastifyRequest): boolean {
    return Boolean((request as WithState)[kState])
  }

  /** The request's state, cleared so onSend acts on it once. */
  take(request: FastifyRequest): PageState | undefined {
    const req = request as WithState
    const state = req[kState]
    req[kState] = null
    return state ?? undefined
  }
}
