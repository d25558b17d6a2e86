import type { RouteState } from './flag-source.js'
import type { RouteFlagInput } from './route-state.js'

/**
 * Changes route flags where a FlagSource reads them. The playbook runner and
 * the `cutover flags` CLI write through this; every process's FlagSource picks
 * the change up within its refresh interval.
 */
export interface FlagAdminWriter {
  /** Driver name ('unleash', 'file'). */
  readonly kind: string
  /**
   * Creates the flags of these routes that do not exist yet (mode off) and the
   * kill-switch flag. Existing flags are left as they are. Returns the route
   * ids whose flag was created.
   */
  createRoutes(routeIds: readonly string[]): Promise<string[]>
  /** Sets a route's mode, canary percentage and shadow rate, creating its flag if missing. */
  setRoute(routeId: string, input: RouteFlagInput): Promise<RouteState>
  /** The route's state as stored, or undefined when it has no flag. */
  getRoute(routeId: string): Promise<RouteState | undefined>
  /** Fleet-wide kill switch: on turns every route off in every process; off restores their modes. */
  setKill(on: boolean): Promise<void>
  /** Whether the fleet-wide kill switch is on. */
  getKill(): Promise<boolean>
  /** Route ids that have a flag (playbooks match their route patterns against these). */
  listRoutes?(): Promise<string[]>
}
