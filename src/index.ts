export * from './errors.js'

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
