export * from './errors.js'

// ---- page stores
export { RedisPageStore, type RedisPageStoreOptions } from './pagecache/redis-store.js'
export { TieredPageStore, type TieredPageStoreOptions } from './pagecache/tiered-store.js'

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
