import type { FlagSourceStatus, RouteState } from '../../src/flags/flag-source.js'
import { toRouteState, type RouteFlagInput } from '../../src/flags/route-state.js'
import type { RouteMode } from '../../src/flags/flag-source.js'
import { StateTable } from '../../src/flags/state-table.js'

/** An in-memory FlagSource whose state a test sets directly. */
export class StaticFlagSource extends StateTable {
  readonly kind = 'static'
  constructor(routes: Record<string, RouteFlagInput | RouteMode> = {}, env: NodeJS.ProcessEnv = {}) {
    super({ env, logger: { warn() {}, error() {} } })
    this.set(routes)
  }
  set(routes: Record<string, RouteFlagInput | RouteMode>, kill = false): void {
    this.replace(new Map<string, RouteState>(Object.entries(routes).map(([id, r]) => [id, toRouteState(id, r)])), kill)
  }
  async start(): Promise<FlagSourceStatus> {
    return { synchronized: true, origin: 'backend', routes: this.routeCount }
  }
  async close(): Promise<void> {}
}
