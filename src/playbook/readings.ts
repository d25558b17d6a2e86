// Where gate readings come from, all of it what cutover already records: the
// shadow tables in MySQL, the meter's per-path counters in Redis, and the
// queue control's status. readingNeeds (pure) says what a tick must read;
// collectReadings reads it.

import type { RedisInput } from '../redis-script.js'
import type mysql from 'mysql2/promise'
import { quantileMs } from '../meter/histogram.js'
import { readMeter, type PathTotals } from '../meter/read.js'
import { p99Quantiles, type PathFigures, type RouteReadings, type ShadowFigures } from './gates.js'
import type { Readings } from './machine.js'
import type { Playbook, Stage } from './model.js'
import type { PlaybookQueueControl } from './queue-control.js'
import type { RouteProgress, RunState } from './state.js'

/** Where the meter keeps its counters (the app's Meter options). */
export interface MeterSource {
  /** An ioredis 5 or 6 client. */
  redis: RedisInput
  /** @default 'cutover' */
  prefix?: string
  /** Must match the app's meter. @default 60 */
  bucketSeconds?: number
}

export interface ReadingSources {
  /** The database holding the shadow tables. */
  pool: mysql.Pool
  meter?: MeterSource | undefined
  queue?: PlaybookQueueControl | undefined
}

export interface RouteNeed {
  route: string
  /** The stay in the stage so far, wall epoch ms. */
  from: number
  shadow: boolean
  meter: boolean
  /** The stage before, for an all-page stage's legacy baseline. */
  baseline?: { from: number; to: number }
}

export interface ReadingNeeds {
  routes: RouteNeed[]
  queue: boolean
}

const SHADOW = new Set(['shadowMatchRate', 'logicMismatches', 'leaks'])
const TRAFFIC = new Set(['errorRate', 'p99', 'dbCallsPerRequest'])

function needOf(playbook: Playbook, r: RouteProgress): RouteNeed | undefined {
  const stage = playbook.stages.find((s) => s.name === r.stage)
  if (!stage) return undefined
  const need: RouteNeed = { route: r.route, from: r.enteredWall, shadow: stage.gates.some((g) => SHADOW.has(g.kind)), meter: stage.gates.some((g) => TRAFFIC.has(g.kind)) }
  const before = r.entries.at(-2)
  if (need.meter && stage.flag?.mode === 'on' && before) need.baseline = { from: before.wall, to: r.enteredWall }
  return need
}

/** What one tick reads: the gates of every active, unpaused route's stage and of the queue's. Pure. */
export function readingNeeds(playbook: Playbook, state: RunState): ReadingNeeds {
  const active = [...state.routes.values()].filter((r) => r.status === 'active' && !r.paused)
  const routes = active.flatMap((r) => needOf(playbook, r) ?? [])
  const stageGates = (s: Stage | undefined): boolean => s?.gates.some((g) => g.kind === 'queueDepth') ?? false
  const queueStage = playbook.stages.find((s) => s.name === state.queue.stage)
  const queue = (state.queue.status === 'active' && stageGates(queueStage)) || active.some((r) => stageGates(playbook.stages.find((s) => s.name === r.stage)))
  return { routes, queue }
}

/** Shadow figures as the shadow report counts them (noise-only mismatches are matches). */
export async function readShadowFigures(pool: mysql.Pool, route: string, from: number, to: number): Promise<ShadowFigures> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    'SELECT outcome, cause, COUNT(*) AS n FROM shadow_samples WHERE route = ? AND at_ms >= ? AND at_ms < ? GROUP BY outcome, cause',
    [route, from, to],
  )
  const f: ShadowFigures = { compared: 0, matches: 0, logic: 0, leaks: 0, errors: 0 }
  for (const r of rows) {
    const n = Number(r.n)
    if (r.outcome === 'error') {
      f.errors += n
      continue
    }
    f.compared += n
    if (r.outcome === 'match' || r.cause === 'noise') f.matches += n
    if (r.outcome === 'mismatch' && r.cause === 'logic') f.logic += n
    if (r.outcome === 'mismatch' && r.cause === 'leak') f.leaks += n
  }
  return f
}

export function pathFigures(totals: PathTotals | undefined): PathFigures | undefined {
  if (!totals) return undefined
  const c = (k: string): number => totals.counters[k] ?? 0
  const requests = c('requests')
  const q = p99Quantiles(requests)
  return {
    requests, errors: c('errors'), dbCalls: c('queries'), refreshJobs: c('jobs'), p99Ms: quantileMs(totals.latency, 0.99) ?? null,
    p99Bounds: { lowMs: quantileMs(totals.latency, q.low) ?? null, highMs: quantileMs(totals.latency, q.high) ?? null },
  }
}

async function meterPaths(meter: MeterSource, route: string, from: number, to: number): Promise<{ page?: PathFigures; legacy?: PathFigures }> {
  const reading = await readMeter({ redis: meter.redis, prefix: meter.prefix ?? 'cutover', bucketSeconds: meter.bucketSeconds ?? 60, from, to })
  const paths = reading.user.get(route)?.paths
  const page = pathFigures(paths?.page)
  const legacy = pathFigures(paths?.legacy)
  const zero: PathFigures = { requests: 0, errors: 0, dbCalls: 0, refreshJobs: 0, p99Ms: null }
  return { page: page ?? zero, legacy: legacy ?? zero }
}

async function routeReadings(sources: ReadingSources, need: RouteNeed, now: number): Promise<RouteReadings> {
  const out: RouteReadings = {}
  if (need.shadow) out.shadow = await readShadowFigures(sources.pool, need.route, need.from, now)
  if (need.meter && sources.meter) {
    Object.assign(out, await meterPaths(sources.meter, need.route, need.from, now))
    if (need.baseline) {
      const before = await meterPaths(sources.meter, need.route, need.baseline.from, need.baseline.to)
      if (before.legacy) out.baseline = before.legacy
    }
  }
  return out
}

/** Reads what `needs` asks for, at `now` (wall epoch ms). */
export async function collectReadings(sources: ReadingSources, needs: ReadingNeeds, now: number): Promise<Readings> {
  const routes = new Map<string, RouteReadings>()
  for (const need of needs.routes) routes.set(need.route, await routeReadings(sources, need, now))
  if (!needs.queue || !sources.queue) return { routes }
  const status = await sources.queue.status()
  return { routes, queue: { depth: status.depth, inFlight: status.inFlight } }
}
