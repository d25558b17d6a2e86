// `cutover/meter`: the amplification meter (prom-client is loaded only when a registry is given).
export { Meter, COUNTERS, type MeterOptions, type RequestSample } from '../meter/meter.js'
export { cutoverMeter, meterCountsOf, meterRouteOf, type MeterPluginOptions } from '../meter/plugin.js'
export { currentMeterContext, runWithMeterContext, runOutsideMeterContext, BACKGROUND_ROUTE, type MeterContext, type MeterCounts } from '../meter/context.js'
export { meterPool } from '../meter/wrap-pool.js'
export { meterRedis } from '../meter/wrap-redis.js'
export { meterQueue, type MeteredRefreshQueue } from '../meter/wrap-queue.js'
export { readMeter, type MeterReading, type ReadMeterOptions, type RouteTotals, type QueueGauges } from '../meter/read.js'
export { meterDrainer, meterGateObserver, meterGatedQueue } from '../meter/wrap-drain.js'
