// `cutover`: the Fastify plugin and its page stores. Everything else is a
// subpath export (src/entries/), so an app loads only what it uses: this
// entry loads none of ioredis, mysql2, bullmq, unleash-client or prom-client
// (test/package checks it).
export * from './errors.js'

// ---- the plugin and the page cache
export { cutover, cutover as default, type CutoverApi, type CutoverOptions } from './plugin.js'
export type { Audience, IdentityFn, RouteCacheOptions, RouteCacheConfig, StaticMode, TagsOption } from './pagecache/route-config.js'
export type { InvalidateInput, InvalidateResult } from './pagecache/invalidate.js'
export type { RouteStats } from './pagecache/page-cache.js'
export type { PathStats } from './modes/path-stats.js'
export type { ShadowBudgetReading } from './modes/shadow-budget.js'
export type { RouteModeOptions } from './modes/options.js'
export type { PageCacheOptions } from './pagecache/options.js'
export { CACHE_STATUS_HEADER, PATH_HEADER, REFRESH_HEADER, RENDER_ID_HEADER, SHADOW_HEADER, SHADOW_PATH_HEADER } from './headers.js'

// ---- page stores (a store stores: it never decides freshness or storability)
export type { PageKey, PageStore, PassMarker, StoredEntry, StoredPage, TagState } from './pagecache/store.js'
export { MemoryPageStore, type MemoryPageStoreOptions } from './pagecache/memory-store.js'
export { RedisPageStore, type RedisPageStoreOptions } from './pagecache/redis-store.js'
export { TieredPageStore, type TieredPageStoreOptions } from './pagecache/tiered-store.js'
