import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { SHADOW_PATH_HEADER } from '../flags/route-mode.js'
import { runWithMeterContext, type MeterCounts } from '../meter/context.js'
import { meterCountsOf } from '../meter/plugin.js'
import { SHADOW_HEADER } from '../pagecache/page-cache.js'
import type { RenderedResponse, ShadowContext } from './hook.js'

export type { RenderedResponse } from './hook.js'

/** The page the cache would serve for this request now. */
export interface CachedPage extends RenderedResponse {
  /** How long ago it was rendered, ms. */
  ageMs: number
}

/** Where the runner gets the candidate and the secondary from; the plugin integration or tests supply it. */
export interface CandidateSource {
  /** The cached page for this request, or undefined when nothing is cached. Never stores anything. */
  cached(context: ShadowContext, signal: AbortSignal): Promise<CachedPage | undefined>
  /** A render of the page path made now, never stored. */
  fresh(context: ShadowContext, signal: AbortSignal): Promise<RenderedResponse>
  /** A second render of the legacy path (the secondary), to learn what the legacy path itself varies. */
  legacy(context: ShadowContext, signal: AbortSignal): Promise<RenderedResponse>
}

// The marker (its value is the process's shadow token) and, with `legacy`, the path a shadow render asks for.
export { SHADOW_HEADER } from '../pagecache/page-cache.js'
export { SHADOW_PATH_HEADER } from '../flags/route-mode.js'

export interface InjectSourceOptions {
  /**
   * The shadow token; by default `app.cutover.shadowToken` read at call time.
   */
  token?: string
  /** Reads the cached page without storing or refreshing it; without it, nothing counts as cached. */
  readCached?: (context: ShadowContext, signal: AbortSignal) => Promise<CachedPage | undefined>
}

function tokenOf(app: FastifyInstance): string {
  const cutover = (app as unknown as { cutover?: { shadowToken?: unknown } }).cutover
  if (typeof cutover?.shadowToken !== 'string') throw new Error('app.cutover.shadowToken is not set; register the cutover plugin first')
  return cutover.shadowToken
}

/**
 * Reads the cached page in a shadow meter context of its own, so its calls
 * through the metered clients are charged to the route's shadow traffic and
 * counted on the candidate. Only when the control was metered: without the
 * meter plugin neither side has counts.
 */
async function readCounted(
  read: NonNullable<InjectSourceOptions['readCached']>, ctx: ShadowContext, signal: AbortSignal,
): Promise<CachedPage | undefined> {
  if (ctx.control.dbCalls === undefined) return read(ctx, signal)
  const counts: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
  const page = await runWithMeterContext({ route: ctx.request.routeId, shadow: true, source: 'request', counts }, () => read(ctx, signal))
  return page && { ...page, ...counts }
}

/**
 * Renders through `app.inject` with the shadow marker, so the plugin serves
 * the page path without storing and the meter does not enqueue refresh jobs.
 * Request headers are forwarded (the page may vary on them, and the host is
 * part of its key) minus hop-by-hop ones. With the meter plugin registered,
 * each render carries the DB/Redis calls made in its own request context, and
 * a cached page the calls of reading it.
 */
export function injectCandidateSource(options: InjectSourceOptions = {}): CandidateSource {
  const render = async (ctx: ShadowContext, path: 'page' | 'legacy'): Promise<RenderedResponse> => {
    const headers: Record<string, string | string[]> = {}
    for (const [k, v] of Object.entries(ctx.request.headers)) {
      if (v === undefined || ['connection', 'content-length', 'transfer-encoding'].includes(k.toLowerCase())) continue
      headers[k] = v
    }
    headers[SHADOW_HEADER] = options.token ?? tokenOf(ctx.app)
    if (path === 'legacy') headers[SHADOW_PATH_HEADER] = 'legacy'
    const started = performance.now()
    const res = await ctx.app.inject({ method: ctx.request.method as 'GET', url: ctx.request.url, headers })
    const durationMs = performance.now() - started
    // light-my-request hands back the raw request the meter plugin keyed the render's counts by.
    return { status: res.statusCode, headers: res.headers, body: res.rawPayload, durationMs, ...meterCountsOf(res.raw.req) }
  }
  const readCached = options.readCached
  return {
    cached: (ctx, signal) => (readCached ? readCounted(readCached, ctx, signal) : Promise.resolve(undefined)),
    fresh: (ctx) => render(ctx, 'page'),
    legacy: (ctx) => render(ctx, 'legacy'),
  }
}
