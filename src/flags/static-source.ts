import type { FlagSourceStatus, RouteMode } from './flag-source.js'
import type { RouteState } from './flag-source.js'
import { toRouteState, type RouteFlagInput } from './route-state.js'
import { StateTable } from './state-table.js'

/**
 * An in-memory FlagSource whose state its owner sets directly: for a run that
 * drives the modes itself (`cutover demo shadow`) and for tests.
 */
export class StaticFlagSource extends StateTable {
  readonly kind = 'static'
  constructor(routes: Record<string, RouteFlagInput | RouteMode> = {}, env: NodeJS.ProcessEnv = {}) {
    super({ env, logger: { warn() {}, error() {} } })
    this.set(routes)
  }
  /** Replaces every route's state (routes not named are off). */
  set(routes: Record<string, RouteFlagInput | RouteMode>, kill = false): void {
    this.replace(new Map<string, RouteState>(Object.entries(routes).map(([id, r]) => [id, toRouteState(id, r)])), kill)
  }
  async start(): Promise<FlagSourceStatus> {
    return this.startStatus(true, 'backend')
  }
  async close(): Promise<void> {}
}
