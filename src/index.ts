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

// ---- amplification meter
export { Meter, COUNTERS, type MeterOptions, type RequestSample } from './meter/meter.js'
export { cutoverMeter, meterRouteOf, SHADOW_HEADER, type MeterPluginOptions } from './meter/plugin.js'
export { currentMeterContext, runWithMeterContext, BACKGROUND_ROUTE, type MeterContext } from './meter/context.js'
export { meterPool } from './meter/wrap-pool.js'
export { meterRedis } from './meter/wrap-redis.js'
export { meterQueue, type MeteredRefreshQueue } from './meter/wrap-queue.js'
export { readMeter, type MeterReading, type ReadMeterOptions, type RouteTotals, type QueueGauges } from './meter/read.js'

// ---- refresh queue
export type { RefreshQueue, RefreshJob, RefreshHandler, RefreshConsumer, ConsumeOptions } from './queue/refresh-queue.js'
export { ListRefreshQueue, type ListQueueOptions } from './queue/list-queue.js'
export { BullmqRefreshQueue, type BullmqQueueOptions } from './queue/bullmq-queue.js'

// ---- amplification report
export { summarize, type AmplificationReport, type AmplificationSnapshot, type RouteFigures } from './report/amplification.js'
export { renderHtml } from './report/render-html.js'
export { renderJson, renderMarkdown, renderTerminal } from './report/render-text.js'
