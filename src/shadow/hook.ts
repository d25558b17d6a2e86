import type { FastifyInstance } from 'fastify'

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
  }
  /** The response the user got (the legacy path in shadow mode). */
  control: {
    status: number
    headers: Record<string, string | string[] | number | undefined>
    body: Buffer
    durationMs: number
    /** DB queries the request made, when the meter can tell (optional). */
    dbCalls?: number
    /** Redis commands the request made, when the meter can tell (optional). */
    redisCalls?: number
    /** Refresh jobs the request enqueued (each a DB read later), when the meter can tell (optional). */
    refreshJobs?: number
  }
  /** Aborted when the plugin gives up on the shadow (shutdown, its own bound). */
  signal: AbortSignal
}

/**
 * Called by the plugin for sampled requests of routes in shadow mode, after
 * the response is sent. Must never throw into the request (the plugin catches
 * and logs anyway) and must never write to the cache or app tables.
 */
export type ShadowHandler = (context: ShadowContext) => Promise<void>
