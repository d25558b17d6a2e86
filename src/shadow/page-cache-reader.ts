import { performance } from 'node:perf_hooks'
import type { FastifyInstance } from 'fastify'
import { pageKeyHash, type PathRules } from '../pagecache/key.js'
import type { ShadowContext } from './hook.js'
import type { CachedPage } from './candidate-source.js'

/** The router's path folding, read as the plugin reads it (src/plugin.ts), so the key is the one serving uses. */
function pathRulesOf(app: FastifyInstance): PathRules {
  const config = app.initialConfig as Record<string, unknown> & { routerOptions?: Record<string, unknown> }
  const pick = (name: string, fallback: boolean): boolean => {
    const value = config.routerOptions?.[name] ?? config[name]
    return typeof value === 'boolean' ? value : fallback
  }
  return {
    ignoreTrailingSlash: pick('ignoreTrailingSlash', false),
    ignoreDuplicateSlashes: pick('ignoreDuplicateSlashes', false),
  }
}

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
 * Reads the page the cache would serve for a shadowed request, without
 * storing, refreshing or counting anything: the same key, and the same
 * rules for purged and expired pages, as the plugin's serving path. Routes
 * keyed per user are not read (their key needs the live request): they are
 * compared against a fresh render instead.
 */
export function pageCacheReader(now: () => number = Date.now): (context: ShadowContext) => Promise<CachedPage | undefined> {
  let rules: PathRules | undefined
  return async (ctx) => {
    const api = ctx.app.cutover
    const route = api.routes.get(ctx.request.routeId)
    if (!route || route.user) return undefined
    rules ??= pathRulesOf(ctx.app)
    const started = performance.now()
    const hash = pageKeyHash({
      routeId: route.id,
      url: ctx.request.url,
      query: parseQuery(ctx.request.url),
      queryAllow: route.query,
      headers: ctx.request.headers,
      vary: route.vary,
      rules,
    })
    const entry = await api.store.get({ route: route.id, hash })
    if (entry?.kind !== 'page') return undefined
    const t = now()
    if (t >= entry.deleteAt) return undefined
    const tags = Object.keys(entry.tags)
    if (tags.length > 0) {
      const states = await api.store.tagStates(tags)
      let soft = false
      for (const tag of tags) {
        const built = entry.tags[tag] ?? 0
        const state = states[tag] ?? { version: 0, hard: 0 }
        if (state.hard > built) return undefined
        if (state.version > built) soft = true
      }
      if (soft && route.staleMs === 0) return undefined
    }
    return {
      status: entry.status,
      headers: { ...entry.headers, etag: entry.etag },
      body: entry.body,
      // The read, which is what serving a hit costs beyond sending it.
      durationMs: performance.now() - started,
      ageMs: t - entry.storedAt,
    }
  }
}
