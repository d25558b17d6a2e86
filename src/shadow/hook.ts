import type { FastifyInstance } from 'fastify'

/** A response on the legacy or the page path, with what it cost. */
export interface RenderedResponse {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: Buffer
  durationMs: number
  /** DB queries made for it, when the meter can tell (optional). */
  dbCalls?: number
  /** Redis commands made for it, when the meter can tell (optional). */
  redisCalls?: number
  /**
   * Refresh jobs it enqueued (each a DB read later), or would have (a shadow
   * render enqueues none), when the meter can tell (optional).
   */
  refreshJobs?: number
}

/** The rate a shadow was sampled at. */
export interface ShadowSampling {
  /** The route's shadow rate, as its flag sets it (0..1). */
  rate: number
  /** The rate in effect when the request was drawn: lower than `rate` while the shadows' CPU budget (`shadowLimits.maxLoopShare`) holds it down. */
  effectiveRate: number
}

/** What the plugin hands a shadow handler after the user's response was sent. */
export interface ShadowContext {
  app: FastifyInstance
  request: {
    /** The route id from `config.cutover.id`. */
    routeId: string
    method: string
    /** The raw URL as received (path and query). */
    url: string
    headers: Record<string, string | string[] | undefined>
    /**
     * Who the page belongs to, on a route whose pages are per user (its
     * `user`, or the plugin's `identify`, read while the request was live):
     * the cached side is that user's page. Absent elsewhere.
     */
    user?: string
  }
  /** The response the user got (the legacy path in shadow mode). */
  control: RenderedResponse
  /** Aborted when the plugin gives up on the shadow (shutdown, its own bound). */
  signal: AbortSignal
  /** The rate this request was sampled at (absent where a handler is called by other code). */
  sampling?: ShadowSampling
}

/**
 * Called by the plugin for sampled requests of routes in shadow mode, after
 * the response is sent. Must never throw into the request (the plugin catches
 * and logs anyway) and must never write to the cache or app tables.
 */
export type ShadowHandler = (context: ShadowContext) => Promise<void>
