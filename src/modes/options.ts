import type { FastifyRequest } from 'fastify'
import { CUTOVER_ERR_OPTIONS_INVALID } from '../errors.js'
import type { FlagSource } from '../flags/flag-source.js'
import type { ShadowHandler } from '../shadow/hook.js'
import type { UnleashContextOption } from './flag-context.js'
import { describeValue } from '../describe-value.js'
import { MAX_TIMER_MS } from '../pagecache/limits.js'

/** Plugin options for route modes (part of the cutover plugin's options). */
export interface RouteModeOptions {
  /** Where each route's mode comes from. Without it, `config.cutover.mode` (default 'on'). */
  flags?: FlagSource
  /**
   * Identity for sticky canary decisions (user or session id; a numeric id
   * such as `request.user?.id` is read as its decimal string). Requests without
   * one are bucketed by their page key, so a page sits on one side.
   */
  identify?: (request: FastifyRequest) => string | number | undefined
  /**
   * Adds `sessionId` and custom `properties` to the Unleash context of routes
   * whose flag has constraints or segments (userId is `identify(request)`,
   * remoteAddress `request.ip`). Called only for those routes.
   * @default none: constraints see userId and remoteAddress only
   */
  unleashContext?: UnleashContextOption
  /** Called after the response for the sampled share of shadow-mode requests. */
  shadow?: ShadowHandler
  /**
   * Bounds on shadows: at most `maxConcurrent` run at once (more are dropped and
   * counted), each is aborted after `timeout` ms; shadow work may add at most
   * `maxLoopShare` to the event-loop time per request of cutover's routes (the
   * effective sample rate is lowered to keep it there; `Infinity` turns the
   * budget off).
   * @default { maxConcurrent: 4, timeout: 5000, maxLoopShare: 0.05 }
   */
  shadowLimits?: { maxConcurrent?: number; timeout?: number; maxLoopShare?: number }
}

/** The plugin option names route modes own (the page cache owns the others). */
export const MODE_OPTION_KEYS: readonly string[] = Object.freeze(['flags', 'identify', 'unleashContext', 'shadow', 'shadowLimits'])

export const SHADOW_LIMIT_DEFAULTS = Object.freeze({ maxConcurrent: 4, timeout: 5000, maxLoopShare: 0.05 })

export interface ResolvedModeOptions {
  readonly flags: FlagSource | undefined
  /** `identify` with its answer as a string (or undefined). */
  readonly identify: ((request: FastifyRequest) => string | undefined) | undefined
  readonly unleashContext: UnleashContextOption | undefined
  readonly shadow: ShadowHandler | undefined
  readonly shadowLimits: { readonly maxConcurrent: number; readonly timeoutMs: number; readonly maxLoopShare: number }
}

/** An identity function whose numeric answers are read as decimal strings; anything but a string or a finite number is no identity. */
function asText(identify: (request: FastifyRequest) => string | number | undefined): (request: FastifyRequest) => string | undefined {
  return (request) => {
    const id = identify(request)
    if (typeof id === 'string') return id
    return typeof id === 'number' && Number.isFinite(id) ? String(id) : undefined
  }
}

/** Validates the mode options once at registration. */
export function resolveModeOptions(raw: RouteModeOptions): ResolvedModeOptions {
  const f = raw.flags as Partial<FlagSource> | undefined
  if (f !== undefined && (typeof f !== 'object' || f === null || typeof f.state !== 'function' || typeof f.inCanary !== 'function')) {
    throw new CUTOVER_ERR_OPTIONS_INVALID('flags to be a FlagSource (UnleashFlagSource, FileFlagSource)', describeValue(raw.flags))
  }
  for (const key of ['identify', 'shadow', 'unleashContext'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'function') throw new CUTOVER_ERR_OPTIONS_INVALID(`${key} to be a function`, describeValue(raw[key]))
  }
  const limits = raw.shadowLimits ?? {}
  if (typeof limits !== 'object' || limits === null) throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits to be an object', describeValue(limits))
  for (const key of Object.keys(limits)) {
    if (key !== 'maxConcurrent' && key !== 'timeout' && key !== 'maxLoopShare') {
      throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits keys to be maxConcurrent, timeout and maxLoopShare', describeValue(key))
    }
  }
  const maxConcurrent = limits.maxConcurrent ?? SHADOW_LIMIT_DEFAULTS.maxConcurrent
  const timeout = limits.timeout ?? SHADOW_LIMIT_DEFAULTS.timeout
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits.maxConcurrent to be an integer >= 1', describeValue(maxConcurrent))
  // Node fires a timer longer than 2^31-1 ms after 1 ms: every shadow would be aborted at once.
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0 || timeout > MAX_TIMER_MS) {
    throw new CUTOVER_ERR_OPTIONS_INVALID(`shadowLimits.timeout to be a number of ms > 0 and at most ${MAX_TIMER_MS}`, describeValue(timeout))
  }
  const maxLoopShare = limits.maxLoopShare ?? SHADOW_LIMIT_DEFAULTS.maxLoopShare
  if (typeof maxLoopShare !== 'number' || Number.isNaN(maxLoopShare) || maxLoopShare <= 0) {
    throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits.maxLoopShare to be a number > 0 (a share of the loop time per request; Infinity: no budget)', describeValue(maxLoopShare))
  }
  return Object.freeze({
    flags: raw.flags,
    identify: raw.identify ? asText(raw.identify) : undefined,
    unleashContext: raw.unleashContext,
    shadow: raw.shadow,
    shadowLimits: Object.freeze({ maxConcurrent, timeoutMs: timeout, maxLoopShare }),
  })
}
