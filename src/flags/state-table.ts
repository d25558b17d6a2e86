import type {
  FlagChange,
  FlagLogger,
  FlagSourceFault,
  FlagSource,
  FlagSourceStartOptions,
  FlagSourceStats,
  FlagSourceStatus,
  RouteState,
} from './flag-source.js'
import { offState } from './flag-source.js'
import { killedByEnv } from './kill-switch.js'
import { sameState } from './route-state.js'
import { inRollout } from './sticky.js'

export interface StateTableOptions {
  logger?: FlagLogger
  /** Environment read once for CUTOVER_KILL. @default process.env */
  env?: NodeJS.ProcessEnv
}

/** Logs to stderr; pass fastify's logger (`app.log`) to route logs there. */
export const consoleFlagLogger: FlagLogger = {
  warn: (obj, msg) => console.warn(`cutover flags: ${msg}`, obj),
  error: (obj, msg) => console.error(`cutover flags: ${msg}`, obj),
}

/**
 * The part every flag source shares: the current state table, the kill
 * switches (this process, CUTOVER_KILL, the backend's), change events and
 * fault counters. Drivers call `replace()` with a complete, validated table
 * and `fault()` when a load fails; readers never see a half-applied table.
 */
export abstract class StateTable implements FlagSource {
  abstract readonly kind: string
  abstract start(options?: FlagSourceStartOptions): Promise<FlagSourceStatus>
  abstract close(): Promise<void>

  protected readonly log: FlagLogger
  #routes = new Map<string, RouteState>()
  #effective = new Map<string, RouteState>()
  #offs = new Map<string, RouteState>()
  #listeners = new Set<(change: FlagChange) => void>()
  #localKill: boolean
  #remoteKill = false
  #loads = 0
  #faults: Record<string, number> = {}
  #lastFault: FlagSourceStats['lastFault']
  #started = false
  #startFault: FlagSourceFault | undefined

  constructor(options: StateTableOptions = {}) {
    this.log = options.logger ?? consoleFlagLogger
    this.#localKill = killedByEnv(options.env)
  }

  get killed(): boolean {
    return this.#localKill || this.#remoteKill
  }

  get routeCount(): number {
    return this.#routes.size
  }

  state(routeId: string): RouteState {
    return this.#effective.get(routeId) ?? this.#off(routeId)
  }

  inCanary(routeId: string, identity: string): boolean {
    const state = this.state(routeId)
    if (state.mode === 'on') return true
    return state.mode === 'canary' && inRollout(state.groupId, identity, state.percent)
  }

  onChange(listener: (change: FlagChange) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  kill(): void {
    this.#publish(() => {
      this.#localKill = true
    })
  }

  revive(): void {
    this.#publish(() => {
      this.#localKill = false
    })
  }

  stats(): FlagSourceStats {
    return {
      loads: this.#loads,
      faults: { ...this.#faults },
      ...(this.#lastFault ? { lastFault: this.#lastFault } : {}),
      killed: this.killed,
    }
  }

  /** Swaps in a complete table (and the backend's kill switch). */
  protected replace(routes: ReadonlyMap<string, RouteState>, remoteKill: boolean): void {
    this.#loads++
    this.#publish(() => {
      this.#routes = new Map(routes)
      this.#remoteKill = remoteKill
    })
  }

  /**
   * What start() returns; drivers call it last. Faults recorded until then are start-up faults,
   * the first of which the status names.
   */
  protected startStatus(synchronized: boolean, origin: FlagSourceStatus['origin']): FlagSourceStatus {
    this.#started = true
    const fault = this.#startFault
    return { synchronized, origin, routes: this.routeCount, ...(fault ? { fault } : {}) }
  }

  /** Records a fault (a failed load keeps the current table); `log` false counts it without logging. */
  protected fault(err: Error & { code?: string }, context: object = {}, log = true): void {
    const code = err.code ?? 'UNKNOWN'
    this.#faults[code] = (this.#faults[code] ?? 0) + 1
    this.#lastFault = { code, message: err.message, at: Date.now() }
    if (!this.#started && !this.#startFault) this.#startFault = { code, message: err.message }
    if (log) this.log.error({ ...context, err, code, source: this.kind }, err.message)
  }

  #off(routeId: string): RouteState {
    let off = this.#offs.get(routeId)
    if (!off) {
      off = offState(routeId)
      this.#offs.set(routeId, off)
    }
    return off
  }

  // Recomputes the effective table and tells listeners which routes changed.
  #publish(mutate: () => void): void {
    const before = this.#effective
    mutate()
    const after = new Map<string, RouteState>()
    if (!this.killed) for (const [id, state] of this.#routes) after.set(id, state)
    this.#effective = after
    if (this.#listeners.size === 0) return
    const ids = new Set([...before.keys(), ...after.keys()])
    for (const routeId of ids) {
      const previous = before.get(routeId) ?? this.#off(routeId)
      const current = after.get(routeId) ?? this.#off(routeId)
      if (sameState(previous, current)) continue
      for (const listener of this.#listeners) {
        try {
          listener({ routeId, previous, current })
        } catch (err) {
          this.log.error({ err, routeId }, 'a flag change listener threw')
        }
      }
    }
  }
}
