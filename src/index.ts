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
export { cutoverMeter, meterCountsOf, meterRouteOf, SHADOW_HEADER, type MeterPluginOptions } from './meter/plugin.js'
export { currentMeterContext, runWithMeterContext, runOutsideMeterContext, BACKGROUND_ROUTE, type MeterContext, type MeterCounts } from './meter/context.js'
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

// ---- shadow comparison, storage and reports
export type { ShadowContext, ShadowHandler } from './shadow/hook.js'
export {
  createShadowRunner,
  type ShadowRouteOptions,
  type ShadowRunner,
  type ShadowRunnerOptions,
  type ShadowRunnerStats,
  type ShadowSink,
} from './shadow/runner.js'
export {
  injectCandidateSource,
  SHADOW_PATH_HEADER,
  type CachedPage,
  type CandidateSource,
  type InjectSourceOptions,
  type RenderedResponse,
} from './shadow/candidate-source.js'
export { loopbackCandidateSource, type LoopbackSourceOptions } from './shadow/loopback-source.js'
export { compileRules, diffJson, type DiffKind, type JsonDiffResult, type PathDiff, type ShadowRules } from './shadow/json-diff.js'
export { classify, CAUSES, type Cause, type ClassifiedDiff } from './shadow/classify.js'
export { NoiseModel, type NoiseModelOptions } from './shadow/noise-model.js'
export { createRedactor, type RedactionOptions } from './shadow/redact.js'
export type { ShadowRecord, SideStats } from './shadow/record.js'
export { createShadowPool, createShadowWriter, type ShadowWriter, type ShadowWriterOptions, type ShadowWriterStats } from './shadow/writer.js'
export { wilson, type Interval } from './shadow/wilson.js'
export { migrate, type MigrateOptions, type MigrateResult } from './db/migrate.js'
export { buildRouteReport, buildShadowReport, SHADOW_REPORT_SCHEMA, type RouteReport, type ShadowReport } from './report/shadow-model.js'
export { DEFAULT_POLICY, shadowVerdict, type ReadinessPolicy, type Verdict, type VerdictInput } from './report/shadow-verdict.js'
export { loadShadowData, type ShadowFilter } from './report/shadow-query.js'
export { renderShadowHtml } from './report/shadow-html.js'
export { renderShadowJson, renderShadowMarkdown } from './report/shadow-markdown.js'
export { pageCacheReader } from './shadow/page-cache-reader.js'
export { readShadowReadiness, type ReadinessQuery } from './report/shadow-readiness.js'
export { loadNoise, saveNoise } from './shadow/noise-store.js'

// ---- playbooks
export { loadPlaybook, parsePlaybook, type PlacedProblem } from './playbook/parse.js'
export type { Gate, GatePolicy, Playbook, Stage, StageActions } from './playbook/model.js'
export { PlaybookRunner, type PlaybookRunnerOptions, type TickReport } from './playbook/runner.js'
export type { PlaybookQueueControl, PlaybookDrainSettings, PlaybookQueueStatus } from './playbook/queue-control.js'
export type { MeterSource } from './playbook/readings.js'
export { approve as approvePlaybookStage, pause as pausePlaybook, resume as resumePlaybook, rollback as rollbackPlaybook, type ControlOptions } from './playbook/control.js'
export { plan as planPlaybook, renderPlan, type Plan } from './playbook/plan.js'
export { readStatus as readPlaybookStatus, renderStatus as renderPlaybookStatus, type StatusReport } from './playbook/status.js'
export { evaluateGate, type GateResult, type RouteReadings } from './playbook/gates.js'
export type { EventBody as PlaybookEvent, JournalEvent, GateReading } from './playbook/events.js'
