import { AsyncLocalStorage } from 'node:async_hooks'
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onSendHookHandler,
  RouteHandlerMethod,
  RouteOptions,
} from 'fastify'
import fp from 'fastify-plugin'
import { CUTOVER_ERR_ROUTE_DUPLICATE_ID } from './errors.js'
import type { RouteState } from './flags/flag-source.js'
import { MODE_OPTION_KEYS, type RouteModeOptions } from './modes/options.js'
import type { PathStats } from './modes/path-stats.js'
import type { ShadowBudgetReading } from './modes/shadow-budget.js'
import { RouteModes, type PathDecision } from './modes/route-modes.js'
import { declareShadowMark } from './modes/shadow-capture.js'
import { declarePageState } from './pagecache/page-state.js'
import { invalidate, type InvalidateInput, type InvalidateResult } from './pagecache/invalidate.js'
import type { PathRules } from './pagecache/key.js'
import { bodyLimitFor, MAX_REDIS_BODY_BYTES, readBudgetBytes } from './pagecache/limits.js'
import { MemoryPageStore } from './pagecache/memory-store.js'
import { RedisPageStore } from './pagecache/redis-store.js'
import { TieredPageStore } from './pagecache/tiered-store.js'
import { resolveOptions, type PageCacheOptions, type ResolvedOptions } from './pagecache/options.js'
import { PageCache, routeTag, type PeekRequest, type RouteStats } from './pagecache/page-cache.js'
import { resolveRouteConfig, type RouteCacheConfig, type RouteCacheOptions } from './pagecache/route-config.js'
import type { PageStore, StoredPage } from './pagecache/store.js'

/** Options of `app.register(cutover, options)`: the page cache's and the route modes'. */
export interface CutoverOptions extends PageCacheOptions, RouteModeOptions {}

/** What `app.cutover` offers. */
export interface CutoverApi {
  /** Purges pages by tag, route or key. Rejects when the store can't be reached. */
  invalidate(input: InvalidateInput): Promise<InvalidateResult>
  /**
   * Hard-purges every page of every opted-in route of this app (in its store
   * and, with a memory layer, in every process): what an app's test calls
   * before each test so no page cached by an earlier test is served.
   */
  clear(): Promise<void>
  /** Per-route counters of this process: hits, stale serves, misses, bypasses, stores, coalesced waits, refreshes, errors. */
  stats(): Record<string, RouteStats>
  /** The validated config of every opted-in route, by id. */
  readonly routes: ReadonlyMap<string, RouteCacheConfig>
  /** The page store in use. */
  readonly store: PageStore
  /** The declared session cookies (plugin option `sessionCookies`). */
  readonly sessionCookies: ReadonlySet<string>
  /** Per-process token that marks cutover's own shadow renders (header `x-cutover-shadow`). */
  readonly shadowToken: string
  /**
   * The page the cache would serve for a request of a route now, with its age
   * in ms; undefined when there is none (or the route keys on the user). Reads
   * only: nothing is stored, refreshed or counted.
   */
  peek(routeId: string, request: PeekRequest): Promise<{ page: StoredPage; ageMs: number } | undefined>
  /** Kill switch for this process: every route off (legacy path) until revive(). */
  kill(): void
  revive(): void
  readonly killed: boolean
  /** A route's current mode, canary percentage and shadow rate. */
  modeOf(routeId: string): RouteState
  /** Per-route counters of the path that served (page, legacy) and of shadows. */
  paths(): Record<string, PathStats>
  /** Where the shadows' CPU budget stands (`shadowLimits.maxLoopShare`): the share of the configured sample rates in effect, and the costs it is based on. */
  shadowBudget(): ShadowBudgetReading
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Opt this route into cutover's page cache; `false` opts out. */
    cutover?: RouteCacheOptions | false
  }
  interface FastifyInstance {
    cutover: CutoverApi
  }
}

function pathRules(app: FastifyInstance): PathRules {
  const config = app.initialConfig as Record<string, unknown> & { routerOptions?: Record<string, unknown> }
  const pick = (name: string, fallback: boolean): boolean => {
    const value = config.routerOptions?.[name] ?? config[name]
    return typeof value === 'boolean' ? value : fallback
  }
  // Frozen: the key's memo trusts a frozen rules object not to change (see pageKeyHash).
  return Object.freeze({
    ignoreTrailingSlash: pick('ignoreTrailingSlash', false),
    ignoreDuplicateSlashes: pick('ignoreDuplicateSlashes', false),
  })
}

/** The Redis store the plugin builds keeps no page it could not read back within its timeout. */
function storeBodyLimit(options: ResolvedOptions): number {
  return Math.min(readBudgetBytes(options.timeoutMs), MAX_REDIS_BODY_BYTES)
}

function buildStore(options: ResolvedOptions, log: FastifyBaseLogger): { store: PageStore; owned: boolean } {
  if (options.store) return { store: options.store, owned: false }
  if (options.redis && options.memory) {
    const store = new TieredPageStore({
      redis: options.redis,
      prefix: options.prefix,
      maxBodyBytes: storeBodyLimit(options),
      memory: { maxBytes: options.memory.maxBytes, maxTtlMs: options.memory.maxTtlMs },
      onSubscriberError: (err) => log.warn({ err }, 'cutover: invalidation subscription failed; memory layer off until it is back'),
    })
    return { store, owned: true }
  }
  if (options.redis) return { store: new RedisPageStore({ redis: options.redis, prefix: options.prefix, maxBodyBytes: storeBodyLimit(options) }), owned: true }
  return { store: new MemoryPageStore({ maxBytes: options.memory?.maxBytes ?? 64 * 1024 * 1024 }), owned: true }
}

/** Set on a request that took the page path, so a route with a page handler picks it with one read. */
const kPagePath = Symbol('cutover.pagePath')
type PathMarked = FastifyRequest & { [kPagePath]: boolean }

/** Runs `page` for requests that took the page path, the route's own handler otherwise. */
function pathHandler(legacy: RouteHandlerMethod, page: RouteHandlerMethod): RouteHandlerMethod {
  return function cutoverPathHandler(this: FastifyInstance, request, reply) {
    return (request as PathMarked)[kPagePath] ? page.call(this, request, reply) : legacy.call(this, request, reply)
  }
}

/**
 * The same route at `/p` and `/p/`: Fastify registers a `'/'` route of a
 * prefixed plugin at both (prefixTrailingSlash 'both', the default), with one
 * handler. Different handlers at the two URLs are two routes and need two ids.
 */
function isSlashTwin(owner: { url: string; handler: RouteHandlerMethod }, route: RouteOptions): boolean {
  const [short, long] = owner.url.length < route.url.length ? [owner.url, route.url] : [route.url, owner.url]
  return long === `${short}/` && owner.handler === route.handler
}

const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v])

async function cutoverPlugin(app: FastifyInstance, raw: CutoverOptions): Promise<void> {
  const options = resolveOptions(raw, MODE_OPTION_KEYS)
  const { store, owned } = buildStore(options, app.log)
  const cache = new PageCache(app, options, store, pathRules(app), app.log)
  const limits = bodyLimitFor(store, { remote: cache.guard.remote, timeoutMs: options.timeoutMs })
  const routes = new Map<string, RouteCacheConfig>()
  const owners = new Map<string, { url: string; handler: RouteHandlerMethod }>()
  const modes = new RouteModes(raw ?? {}, { isOwnMarker: (value) => cache.isOwnMarker(value) }, app)
  // Validated by RouteModes: routes with an audience other than public and no `user` ask it who a request is for.
  const identify = raw?.identify
  app.decorateRequest(kPagePath, false)
  declarePageState(app)
  declareShadowMark(app)

  const writes = trackWrites(app)
  app.decorate('cutover', {
    invalidate: (input: InvalidateInput) => invalidate(store, input, writes.getStore() === true),
    clear: async () => {
      if (routes.size > 0) await store.purgeTags([...routes.keys()].map(routeTag), true)
    },
    stats: () => cache.allStats(),
    routes,
    store,
    sessionCookies: options.sessionCookies,
    shadowToken: cache.token,
    peek: async (routeId: string, request: PeekRequest) => {
      const route = routes.get(routeId)
      return route ? cache.peek(route, request) : undefined
    },
    kill: () => modes.kill(),
    revive: () => modes.revive(),
    get killed() {
      return modes.killed
    },
    modeOf: (routeId: string) => modes.stateOf(routes.get(routeId) ?? { id: routeId, mode: 'off' }),
    paths: () => modes.stats(),
    shadowBudget: () => modes.shadowBudget(),
  } satisfies CutoverApi)

  app.addHook('onRoute', (routeOptions: RouteOptions) => {
    const raw = routeOptions.config?.cutover
    if (raw === undefined || raw === false) return
    const methods = asArray(routeOptions.method)
    const where = `(${methods.join(',')} ${routeOptions.url})`
    const route = resolveRouteConfig(where, raw, { ...limits, identify })
    // Fastify's automatic HEAD route repeats its GET route: same id, same URL.
    const owner = owners.get(route.id)
    if (owner !== undefined && owner.url !== routeOptions.url) {
      if (!isSlashTwin(owner, routeOptions)) throw new CUTOVER_ERR_ROUTE_DUPLICATE_ID(route.id, owner.url, routeOptions.url)
      cache.foldTrailingSlash(route.id)
    }
    owners.set(route.id, { url: routeOptions.url, handler: routeOptions.handler })
    routes.set(route.id, route)
    const decide = modes.decider(route, (request) => cache.keyOf(route, request, route.keysOnUser ? route.user?.(request) : undefined).hash)
    routeOptions.onRequest = [...asArray(routeOptions.onRequest), pageRequestHook(cache, route, decide)]
    if (route.handler) routeOptions.handler = pathHandler(routeOptions.handler, route.handler)
    routeOptions.onSend = [...asArray(routeOptions.onSend), pageSendHook(cache, route)]
    const shadow = modes.shadowHooks(route)
    if (shadow) {
      routeOptions.onSend = [...routeOptions.onSend, shadow.onSend]
      routeOptions.onResponse = [...asArray(routeOptions.onResponse), shadow.onResponse]
    }
  })

  app.addHook('onReady', async () => {
    warnUndeclaredSession(app, options.sessionCookies, routes)
  })

  app.addHook('onClose', async () => {
    await modes.close()
    if (owned) await store.close()
  })
}

/** Methods that change nothing (RFC 9110 §9.2.1): a purge made while handling one is not a write's. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

/**
 * Marks everything a write request runs (its hooks, its handler), so a purge
 * it makes is hard unless it says otherwise: a soft purge lets the stale page
 * be served while it refreshes, and the first to ask again is usually the
 * client that wrote, who would get its old data back (read-your-writes).
 * Callback style so that the handler runs inside the store; safe requests
 * skip it and pay nothing.
 */
function trackWrites(app: FastifyInstance): AsyncLocalStorage<true> {
  const writes = new AsyncLocalStorage<true>()
  app.addHook('onRequest', (request, _reply, done) => {
    if (SAFE_METHODS.has(request.method)) done()
    else writes.run(true, done)
  })
  return writes
}

/**
 * A session plugin (@fastify/session, @fastify/secure-session) sets its cookie
 * on requests and often on every response: with no session cookie declared,
 * a public or signed-in-shared route of such an app bypasses every request
 * that carries it (`detail=cookie`) and stores no response that sets it
 * (`detail=set-cookie`). Said once at start-up, since nothing else fails.
 */
function warnUndeclaredSession(app: FastifyInstance, sessionCookies: ReadonlySet<string>, routes: ReadonlyMap<string, RouteCacheConfig>): void {
  if (sessionCookies.size > 0 || routes.size === 0 || !app.hasRequestDecorator('session')) return
  app.log.warn(
    { routes: [...routes.keys()] },
    'cutover: the app has sessions but no sessionCookies option: requests carrying the session cookie are not cached (Cache-Status detail=cookie) and responses setting it are not stored (detail=set-cookie); name the session cookie in sessionCookies (for @fastify/session: ["sessionId"], or its cookieName)',
  )
}

function pageRequestHook(
  cache: PageCache,
  route: RouteCacheConfig,
  decide: (request: FastifyRequest, reply: FastifyReply) => PathDecision,
): onRequestHookHandler {
  // Callback style: a hit from process memory is answered in this turn, with no promise on its path.
  return function cutoverOnRequest(request, reply, done) {
    // The route's mode (flags, kill switch, canary, shadow) picks the path; legacy runs the handler untouched.
    if (decide(request, reply) === 'legacy') return done()
    ;(request as PathMarked)[kPagePath] = true
    const answered = cache.onRequest(route, request, reply)
    // Answered (a hit): the response is sent and the request goes no further, so done is not called.
    if (answered === true) return
    if (answered === false) return done()
    answered.then(
      (sent) => {
        if (!sent) done()
      },
      (err: Error) => done(err),
    )
  }
}

function pageSendHook(cache: PageCache, route: RouteCacheConfig): onSendHookHandler {
  return function cutoverOnSend(request, reply, payload, done) {
    // Hits and legacy responses have nothing to store: no promise on their path.
    if (!cache.hasState(request)) {
      done(null, payload)
      return
    }
    const finish = (p: unknown): void => {
      try {
        done(null, p)
      } catch (err) {
        // Writing the response threw (Node refuses a header value the handler
        // set). Handed back as Fastify does for an async hook, it becomes the
        // 500 the route answers without cutover; left to throw in this promise
        // callback, it was an unhandled rejection that ended the process.
        done(err as Error)
      }
    }
    cache.onSend(route, request, reply, payload).then(finish, (err: Error) => {
      // Storing must never break a response: log and send what the handler made.
      request.log.warn({ err }, 'cutover: storing the page failed')
      finish(payload)
    })
  }
}

export const cutover = fp(cutoverPlugin, { name: 'cutover', fastify: '5.x' })
export default cutover
