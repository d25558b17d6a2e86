import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { runWithMeterContext, type MeterCounts } from '../meter/context.js'
import { meterCountsOf } from '../meter/plugin.js'
import { RENDER_HEADERS, SHADOW_HEADER, SHADOW_PATH_HEADER } from '../headers.js'
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

export interface InjectSourceOptions {
  /**
   * The shadow token; by default `app.cutover.shadowToken` read at call time.
   */
  token?: string
  /** Reads the cached page without storing or refreshing it; without it, nothing counts as cached. */
  readCached?: (context: ShadowContext, signal: AbortSignal) => Promise<CachedPage | undefined>
}

export function tokenOf(app: FastifyInstance): string {
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

// Hop-by-hop and framing headers of the user's request, which a render must not repeat, and
// cutover's own render headers, which only cutover sets (a user's copy would pick the render's path).
const NOT_FORWARDED = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer', 'transfer-encoding', 'content-length', 'expect',
  ...RENDER_HEADERS,
])

/**
 * The headers of a shadow render: the user's request headers (the page may
 * vary on them, and the host is part of its key) minus hop-by-hop ones, with
 * the shadow marker and, for the secondary, the legacy path asked for.
 */
export function renderHeaders(ctx: ShadowContext, path: 'page' | 'legacy', token: string): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {}
  for (const [k, v] of Object.entries(ctx.request.headers)) {
    if (v === undefined || NOT_FORWARDED.has(k.toLowerCase())) continue
    headers[k] = v
  }
  headers[SHADOW_HEADER] = token
  if (path === 'legacy') headers[SHADOW_PATH_HEADER] = 'legacy'
  return headers
}

/** A candidate source from one render function and the optional cached-page reader. */
export function sourceOf(
  render: (ctx: ShadowContext, path: 'page' | 'legacy', signal: AbortSignal) => Promise<RenderedResponse>,
  readCached: InjectSourceOptions['readCached'],
): CandidateSource {
  return {
    cached: (ctx, signal) => (readCached ? readCounted(readCached, ctx, signal) : Promise.resolve(undefined)),
    fresh: (ctx, signal) => render(ctx, 'page', signal),
    legacy: (ctx, signal) => render(ctx, 'legacy', signal),
  }
}

/** One render through `app.inject` (what the loopback source falls back to). */
export async function injectRender(ctx: ShadowContext, path: 'page' | 'legacy', token: string): Promise<RenderedResponse> {
  const started = performance.now()
  const res = await ctx.app.inject({ method: ctx.request.method as 'GET', url: ctx.request.url, headers: renderHeaders(ctx, path, token) })
  const durationMs = performance.now() - started
  // light-my-request hands back the raw request the meter plugin keyed the render's counts by.
  return { status: res.statusCode, headers: res.headers, body: res.rawPayload, durationMs, ...meterCountsOf(res.raw.req) }
}

/**
 * Renders through `app.inject` with the shadow marker, so the plugin serves
 * the page path without storing and the meter does not enqueue refresh jobs.
 * With the meter plugin registered, each render carries the DB/Redis calls
 * made in its own request context, and a cached page the calls of reading it.
 *
 * For an app that is not listening (tests). On a serving app prefer
 * `loopbackCandidateSource()`, the runner's default: injecting into a serving
 * app made every user request of the route slower (measured: +9-18 % on a
 * trivial route at 100 injections a second).
 */
export function injectCandidateSource(options: InjectSourceOptions = {}): CandidateSource {
  return sourceOf((ctx, path) => injectRender(ctx, path, options.token ?? tokenOf(ctx.app)), options.readCached)
}
