export * from './errors.js'

// ---- the plugin and the page cache
export { cutover, cutover as default, type CutoverApi, type CutoverOptions } from './plugin.js'
export type { RouteCacheOptions, RouteCacheConfig, StaticMode, TagsOption } from './pagecache/route-config.js'
export type { InvalidateInput, InvalidateResult } from './pagecache/invalidate.js'
export type { RouteStats } from './pagecache/page-cache.js'
export type { PageKey, PageStore, PassMarker, StoredEntry, StoredPage, TagState } from './pagecache/store.js'
export { MemoryPageStore, type MemoryPageStoreOptions } from './pagecache/memory-store.js'

// ---- page stores
export { RedisPageStore, type RedisPageStoreOptions } from './pagecache/redis-store.js'
export { TieredPageStore, type TieredPageStoreOptions } from './pagecache/tiered-store.js'

// ---- flags
export * from './flags/flag-source.js'
export { toRouteState, type RouteFlagInput } from './flags/route-state.js'
export { inRollout, sampled, stickyBucket } from './flags/sticky.js'
export { KILL_ENV, killedByEnv } from './flags/kill-switch.js'
export { FileFlagSource, type FileFlagSourceOptions } from './flags/file-source.js'
export { UnleashFlagSource, type UnleashFlagSourceOptions } from './flags/unleash-source.js'
export type { FlagAdminWriter } from './flags/admin-writer.js'
export { FileAdminWriter } from './flags/file-admin.js'
export { UnleashAdminWriter, type UnleashAdminWriterOptions } from './flags/unleash-admin.js'
