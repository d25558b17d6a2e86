import type mysql from 'mysql2/promise'
import { buildRouteReport, type RouteReport } from './shadow-model.js'
import { loadShadowData } from './shadow-query.js'
import type { ReadinessPolicy } from './shadow-verdict.js'

export interface ReadinessQuery {
  route: string
  /** Window start, epoch ms (e.g. when the route entered shadow mode). */
  from: number
  /** Window end, epoch ms. @default now */
  to?: number
  policy?: ReadinessPolicy
}

/**
 * One route's shadow figures and readiness verdict from the stored samples,
 * for playbook gates: the same numbers `cutover report shadow` shows. A route
 * without samples in the window gets an empty, not-ready report.
 */
export async function readShadowReadiness(pool: mysql.Pool, query: ReadinessQuery): Promise<RouteReport> {
  const to = query.to ?? Date.now()
  const data = await loadShadowData(pool, { routes: [query.route], from: query.from, to })
  return buildRouteReport(query.route, data, { ...(query.policy ? { policy: query.policy } : {}), examplesPerRoute: 0 })
}
