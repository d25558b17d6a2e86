import type { FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler, onSendHookHandler } from 'fastify'
import type { RouteState } from '../flags/flag-source.js'
import { killedByEnv } from '../flags/kill-switch.js'
import { inRollout } from '../flags/sticky.js'
import { CACHE_STATUS_HEADER, PATH_HEADER, REFRESH_HEADER, RENDER_ID_HEADER, SHADOW_HEADER, SHADOW_PATH_HEADER } from '../headers.js'
import { cacheStatus } from '../pagecache/respond.js'
import { timeRender } from '../render-ids.js'
import { flagContextOf } from './flag-context.js'
import { resolveModeOptions, type ResolvedModeOptions, type RouteModeOptions } from './options.js'
import { PathStatsTable, type PathStats } from './path-stats.js'
import { drawSample } from './sampling.js'
import { ShadowBudget, type ShadowBudgetReading } from './shadow-budget.js'
import { markForShadow, shadowCaptureHooks } from './shadow-capture.js'
import { ShadowLauncher, type RouteRef } from './shadow-launcher.js'

/** Which path a request takes; `legacy` reasons go into Cache-Status. */
export type PathDecision = 'page' | 'legacy'

/** What the mode layer needs from the page cache: the check of cutover's own render markers. */
export interface ModeDeps {
  isOwnMarker(value: string | string[] | undefined): boolean
}

const ON: RouteState = Object.freeze({ mode: 'on', percent: 100, shadowRate: 0, groupId: '' })
const OFF: RouteState = Object.freeze({ mode: 'off', percent: 0, shadowRate: 0, groupId: '' })

/**
 * Decides per request whether a route runs its page path or its legacy path
 * (the handler as if cutover were absent), and runs sampled shadows after the
 * response. Everything here is on the request path, so the decision is a map
 * lookup and, for canary traffic, one hash. The in-process kill switch lives
 * here; the environment's and the fleet's are the flag source's.
 */
export class RouteModes {
  readonly #options: ResolvedModeOptions
  readonly #launcher: ShadowLauncher
  readonly #budget: ShadowBudget
  readonly #stats = new PathStatsTable()
  #killed: boolean

  constructor(
    options: RouteModeOptions,
    private readonly deps: ModeDeps,
    app: FastifyInstance,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.#options = resolveModeOptions(options)
    this.#budget = new ShadowBudget({ maxLoopShare: this.#options.shadowLimits.maxLoopShare })
    this.#launcher = new ShadowLauncher(app, this.#options.shadowLimits, this.#budget)
    this.#killed = killedByEnv(env)
  }

  get killed(): boolean {
    return this.#killed || (this.#options.flags?.killed ?? false)
  }

  /** Every route off in this process (and in its flag source) until revive(). */
  kill(): void {
    this.#killed = true
    this.#options.flags?.kill()
  }

  revive(): void {
    this.#killed = false
    this.#options.flags?.revive()
  }

  /** The state a route is in now. */
  stateOf(route: RouteRef): RouteState {
    if (this.#killed) return OFF
    if (this.#options.flags) return this.#options.flags.state(route.id)
    return route.mode === 'on' ? ON : OFF
  }

  stats(): Record<string, PathStats> {
    return this.#stats.all()
  }

  /** Where the shadows' CPU budget stands. */
  shadowBudget(): ShadowBudgetReading {
    return this.#budget.reading()
  }

  /**
   * The per-request decision for one route; sets the legacy response's
   * headers. `pageIdentity` gives the page key of anonymous canary traffic.
   */
  decider(route: RouteRef, pageIdentity: (request: FastifyRequest) => string): (request: FastifyRequest, reply: FastifyReply) => PathDecision {
    // A GET route and its automatic HEAD route share one id and one set of counters.
    const stats = this.#stats.of(route.id)
    const { identify, unleashContext, shadow } = this.#options
    const budget = this.#budget
    const admit = (u: number, rate: number): number => budget.admit(u, rate)
    const legacy = (reply: FastifyReply, detail: string): PathDecision => {
      stats.legacy++
      reply.header(PATH_HEADER, 'legacy')
      reply.header(CACHE_STATUS_HEADER, cacheStatus({ kind: 'bypass', detail }))
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
      if (shadow) budget.request()
      const state = this.stateOf(route)
      // A flag with constraints: requests outside them stay on the legacy path, unsampled.
      if (state.audience && state.mode !== 'off' && !state.audience.admits(() => flagContextOf(request, identify, unleashContext))) {
        return legacy(reply, 'constraint-out')
      }
      switch (state.mode) {
        case 'on':
          stats.page++
          return 'page'
        case 'off':
          return legacy(reply, this.killed ? 'killed' : 'mode-off')
        case 'canary': {
          const identity = identify?.(request) ?? pageIdentity(request)
          if (inRollout(state.groupId, identity, state.percent)) {
            stats.page++
            return 'page'
          }
          return legacy(reply, 'canary-out')
        }
        case 'shadow':
          // A CSPRNG draw, not a hash of the request id: an app that takes ids from a header
          // (`requestIdHeader`) would let a client that fixes its id be always shadowed, or never.
          if (shadow) {
            // The budget may lower the rate: the rate the request was drawn at goes with its shadow.
            const effective = drawSample(state.shadowRate, admit)
            if (effective > 0) markForShadow(request, { rate: state.shadowRate, effectiveRate: effective })
          }
          return legacy(reply, 'mode-shadow')
      }
    }
  }

  /** Route hooks that capture the sampled responses and start their shadows; none without a shadow handler. */
  shadowHooks(route: RouteRef): { onSend: onSendHookHandler; onResponse: onResponseHookHandler } | undefined {
    const handler = this.#options.shadow
    return handler ? shadowCaptureHooks(route, handler, this.#launcher, this.#stats.of(route.id)) : undefined
  }

  /** Aborts running shadows and waits for them to settle (app close). */
  async close(): Promise<void> {
    this.#budget.close()
    await this.#launcher.close()
  }
}
