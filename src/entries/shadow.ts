// `cutover/shadow`: shadow comparisons, their storage in MySQL (peer dependency mysql2) and noise learning.
export type { ShadowContext, ShadowHandler, ShadowSampling } from '../shadow/hook.js'
export {
  createShadowRunner,
  type ShadowRouteOptions,
  type ShadowRunner,
  type ShadowRunnerOptions,
  type ShadowRunnerStats,
  type ShadowSink,
} from '../shadow/runner.js'
export {
  injectCandidateSource,
  type CachedPage,
  type CandidateSource,
  type InjectSourceOptions,
  type RenderedResponse,
} from '../shadow/candidate-source.js'
export { loopbackCandidateSource, type LoopbackSourceOptions } from '../shadow/loopback-source.js'
export { compileRules, diffJson, type DiffKind, type JsonDiffResult, type PathDiff, type ShadowRules } from '../shadow/json-diff.js'
export { classify, CAUSES, type Cause, type ClassifiedDiff } from '../shadow/classify.js'
export { NoiseModel, type NoiseModelOptions } from '../shadow/noise-model.js'
export { createRedactor, SECRET_HEADERS, SECRET_QUERY_PARAMS, type RedactionOptions, type Redactor } from '../shadow/redact.js'
export { collectSecrets, createScrubber, encodingsOf, MIN_SECRET_LENGTH, scrubRecord, type Scrubber, type SecretNames } from '../shadow/scrub.js'
export type { ShadowRecord, SideStats } from '../shadow/record.js'
export { createShadowPool, createShadowWriter, type ShadowWriter, type ShadowWriterOptions, type ShadowWriterStats } from '../shadow/writer.js'
export { wilson, type Interval } from '../shadow/wilson.js'
export { pageCacheReader } from '../shadow/page-cache-reader.js'
export { checkShadowDatabase, loadNoise, saveNoise } from '../shadow/noise-store.js'
