import { randomBytes } from 'node:crypto'
import { performance } from 'node:perf_hooks'
import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler, onSendHookHandler } from 'fastify'
import { CUTOVER_ERR_OPTIONS_INVALID } from '../errors.js'
import { REFRESH_HEADER, SHADOW_HEADER } from '../pagecache/page-cache.js'
import { PATH_HEADER, cacheStatus } from '../pagecache/respond.js'
import type { ShadowHandler } from '../shadow/hook.js'
import { RENDER_ID_HEADER, timeRender } from '../shadow/render-ids.js'
import { flagContextOf, type UnleashContextOption } from './flag-context.js'
import type { FlagSource, RouteState } from './flag-source.js'
import { killedByEnv } from './kill-switch.js'
import { controlOf, ShadowLauncher } from './shadow-launcher.js'
import { inRollout, sampled } from './sticky.js'

/** Plugin options for route modes (part of the cutover plugin's options). */
export interface RouteModeOptions {
  /** Where each route's mode comes from. Without it, `config.cutover.mode` (default 'on'). */
  flags?: FlagSource
  /**
   * Identity for sticky canary decisions (user or session id). Requests without
   * one are bucketed by their page key, so a page sits on one side.
   */
  identify?: (request: FastifyRequest) => string | undefined
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
   * counted), each is aborted after `timeout` ms.
   * @default { maxConcurrent: 4, timeout: 5000 }
   */
  shadowLimits?: { maxConcurrent?: number; timeout?: number }
}

/** Per-route counters of which path served and what happened to shadows. */
export interface PathStats {
  page: number
  legacy: number
  /** Shadows started. */
  shadowed: number
  /** Sampled, but dropped: too many shadows running, or a streamed body. */
  shadowDropped: number
  shadowFailed: number
  shadowTimedOut: number
}

/** Which path a request takes; `legacy` reasons go into Cache-Status. */
export type PathDecision = 'page' | 'legacy'

/** What the mode layer needs from the page cache: the check of cutover's own render markers. */
export interface ModeDeps {
  isOwnMarker(value: string | string[] | undefined): boolean
}

export interface RouteRef {
  readonly id: string
  readonly mode: 'on' | 'off'
}

/** On a shadow render, `legacy` asks for the legacy path (the shadow engine's second control run). */
export const SHADOW_PATH_HEADER = 'x-cutover-shadow-path'

const ON: RouteState = Object.freeze({ mode: 'on', percent: 100, shadowRate: 0, groupId: '' })
const OFF: RouteState = Object.freeze({ mode: 'off', percent: 0, shadowRate: 0, groupId: '' })

interface ShadowMark {
  started: number
  /** The response body as onSend had it: a string is kept as it is (immutable) and turned into bytes once the shadow runs. */
  body: Buffer | string | undefined
  streamed: boolean
}
const kShadow = Symbol('cutover.shadow')
type Marked = FastifyRequest & { [kShadow]?: ShadowMark | null }

/** Declares the request slot of the shadow mark up front (same shape for every request; see declarePageState). */
export function declareShadowMark(app: FastifyInstance): void {
  app.decorateRequest(kShadow, null)
}

const show = (v: unknown): string => (typeof v === 'function' ? 'a function' : (JSON.stringify(v) ?? String(v)))

/** Validates the mode options once at registration. */
export function resolveModeOptions(raw: RouteModeOptions): Required<Pick<RouteModeOptions, 'shadowLimits'>> & RouteModeOptions {
  const f = raw.flags as Partial<FlagSource> | undefined
  if (f !== undefined && (typeof f !== 'object' || f === null || typeof f.state !== 'function' || typeof f.inCanary !== 'function')) {
    throw new CUTOVER_ERR_OPTIONS_INVALID('flags to be a FlagSource (UnleashFlagSource, FileFlagSource)', show(raw.flags))
  }
  for (const key of ['identify', 'shadow', 'unleashContext'] as const) {
    if (raw[key] !== undefined && typeof raw[key] !== 'function') throw new CUTOVER_ERR_OPTIONS_INVALID(`${key} to be a function`, show(raw[key]))
  }
  const limits = raw.shadowLimits ?? {}
  if (typeof limits !== 'object' || limits === null) throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits to be an object', show(limits))
  for (const key of Object.keys(limits)) {
    if (key !== 'maxConcurrent' && key !== 'timeout') throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits keys to be maxConcurrent and timeout', show(key))
  }
  const maxConcurrent = limits.maxConcurrent ?? 4
  const timeout = limits.timeout ?? 5000
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits.maxConcurrent to be an integer >= 1', show(maxConcurrent))
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) throw new CUTOVER_ERR_OPTIONS_INVALID('shadowLimits.timeout to be a number of ms > 0', show(timeout))
  return { ...raw, shadowLimits: { maxConcurrent, timeout } }
}

/**
 * Decides per request whether a route runs its page path or its legacy path
 * (the handler as if cutover were absent), and runs sampled shadows after the
 * response. Everything here is on the request path, so the decision is a map
 * lookup and, for canary traffic, one hash.
 */
export class RouteModes {
  readonly #flags: FlagSource | undefined
  readonly #identify: RouteModeOptions['identify']
  readonly #unleashContext: UnleashContextOption | undefined
  readonly #sampleSalt: string
  readonly #shadow: ShadowHandler | undefined
  readonly #launcher: ShadowLauncher
  readonly #stats = new Map<string, PathStats>()
  #killed: boolean

  constructor(
    options: RouteModeOptions,
    private readonly deps: ModeDeps,
    private readonly app: FastifyInstance,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    const o = resolveModeOptions(options)
    this.#flags = o.flags
    this.#identify = o.identify
    this.#unleashContext = o.unleashContext
    this.#shadow = o.shadow
    // Mixed into every sample key: an app that takes request ids from a header (`requestIdHeader`)
    // would otherwise let a client pick ids that are always shadowed (or never).
    this.#sampleSalt = randomBytes(8).toString('hex')
    this.#launcher = new ShadowLauncher(app, { maxConcurrent: o.shadowLimits.maxConcurrent ?? 4, timeoutMs: o.shadowLimits.timeout ?? 5000 })
    this.#killed = killedByEnv(env)
  }

  get killed(): boolean {
    return this.#killed || (this.#flags?.killed ?? false)
  }

  /** Every route off in this process (and in its flag source) until revive(). */
  kill(): void {
    this.#killed = true
    this.#flags?.kill()
  }

  revive(): void {
    this.#killed = false
    this.#flags?.revive()
  }

  /** The state a route is in now. */
  stateOf(route: RouteRef): RouteState {
    if (this.#killed) return OFF
    if (this.#flags) return this.#flags.state(route.id)
    return route.mode === 'on' ? ON : OFF
  }

  stats(): Record<string, PathStats> {
    return Object.fromEntries([...this.#stats].map(([id, s]) => [id, { ...s }]))
  }

  #statsOf(routeId: string): PathStats {
    let stats = this.#stats.get(routeId)
    if (!stats) {
      stats = { page: 0, legacy: 0, shadowed: 0, shadowDropped: 0, shadowFailed: 0, shadowTimedOut: 0 }
      this.#stats.set(routeId, stats)
    }
    return stats
  }

  /**
   * The per-request decision for one route; sets the legacy response's
   * headers. `pageIdentity` gives the page key of anonymous canary traffic.
   */
  decider(route: RouteRef, pageIdentity: (request: FastifyRequest) => string): (request: FastifyRequest, reply: FastifyReply) => PathDecision {
    // A GET route and its automatic HEAD route share one id and one set of counters.
    const stats = this.#statsOf(route.id)
    const legacy = (reply: FastifyReply, detail: string): PathDecision => {
      stats.legacy++
      reply.header(PATH_HEADER, 'legacy')
      reply.header('cache-status', cacheStatus({ kind: 'bypass', detail }))
      return 'legacy'
    }
    return (request, reply) => {
      // cutover's own renders: shadows take the path they ask for, refreshes the page path.
      const marker = request.headers[SHADOW_HEADER] ?? request.headers[REFRESH_HEADER]
      if (marker !== undefined && this.deps.isOwnMarker(marker)) {
        const renderId = request.headers[RENDER_ID_HEADER]
        if (typeof renderId === 'string') timeRender(renderId, reply.raw)
        return request.headers[SHADOW_PATH_HEADER] === 'legacy' ? legacy(reply, 'shadow-legacy') : 'page'
      }
      const state = this.stateOf(route)
      // A flag with constraints: requests outside them stay on the legacy path, unsampled.
      if (state.audience && state.mode !== 'off' && !state.audience.admits(() => flagContextOf(request, this.#identify, this.#unleashContext))) {
        return legacy(reply, 'constraint-out')
      }
      switch (state.mode) {
        case 'on':
          stats.page++
          return 'page'
        case 'off':
          return legacy(reply, this.killed ? 'killed' : 'mode-off')
        case 'canary': {
          const identity = this.#identify?.(request) ?? pageIdentity(request)
          if (inRollout(state.groupId, identity, state.percent)) {
            stats.page++
            return 'page'
          }
          return legacy(reply, 'canary-out')
        }
        case 'shadow':
          if (this.#shadow && sampled(state.groupId, this.#sampleSalt + request.id, state.shadowRate)) {
            ;(request as Marked)[kShadow] = { started: performance.now(), body: undefined, streamed: false }
          }
          return legacy(reply, 'mode-shadow')
      }
    }
  }

  /** Route hooks that capture the sampled responses and start their shadows; none without a shadow handler. */
  shadowHooks(route: RouteRef): { onSend: onSendHookHandler; onResponse: onResponseHookHandler } | undefined {
    const handler = this.#shadow
    if (!handler) return undefined
    const stats = this.#statsOf(route.id)
    const onSend: onSendHookHandler = (request, _reply, payload, done) => {
      const mark = (request as Marked)[kShadow]
      if (mark) {
        if (typeof payload === 'string' || Buffer.isBuffer(payload)) mark.body = payload
        else if (payload === null || payload === undefined) mark.body = Buffer.alloc(0)
        else mark.streamed = true
      }
      done(null, payload)
    }
    const onResponse: onResponseHookHandler = (request, reply, done) => {
      const mark = (request as Marked)[kShadow]
      if (mark) {
        if (mark.streamed || !mark.body) stats.shadowDropped++
        else this.#launcher.launch({ handler, route, request, stats, control: controlOf(request, reply, mark.body, mark.started) })
      }
      done()
    }
    return { onSend, onResponse }
  }

  /** Aborts running shadows and waits for them to settle (app close). */
  async close(): Promise<void> {
    await this.#launcher.close()
  }

}
