import { performance } from 'node:perf_hooks'
import type { ShadowContext } from './hook.js'
import type { CachedPage } from './candidate-source.js'

/** The query as Fastify's default parser gives it: repeated names become arrays. */
function parseQuery(url: string): Record<string, string | string[]> {
  const q = url.indexOf('?')
  const out: Record<string, string | string[]> = {}
  if (q < 0) return out
  for (const [k, v] of new URLSearchParams(url.slice(q + 1))) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

/**
 * Reads the page the cache would serve for a shadowed request through
 * `app.cutover.peek()`, without storing, refreshing or counting anything:
 * the plugin's own key and rules for purged and expired pages. On a route
 * whose pages are per user it reads the page of the user who made the
 * request (`context.request.user`), what that user would have been served.
 */
export function pageCacheReader(): (context: ShadowContext) => Promise<CachedPage | undefined> {
  return async (ctx) => {
    const started = performance.now()
    const found = await ctx.app.cutover.peek(ctx.request.routeId, {
      url: ctx.request.url,
      query: parseQuery(ctx.request.url),
      headers: ctx.request.headers,
      user: ctx.request.user,
    })
    if (!found) return undefined
    const { page, ageMs } = found
    return {
      status: page.status,
      headers: { ...page.headers, etag: page.etag },
      body: page.body,
      // The read, which is what serving a hit costs beyond sending it.
      durationMs: performance.now() - started,
      ageMs,
    }
  }
}
