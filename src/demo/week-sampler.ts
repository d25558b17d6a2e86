// Samples what the week demo's timeline shows, every interval: per route the
// meter's figures (DB calls per request, latency, hit ratio) and the shadow
// match rate, the queue's depth and drain rate, and MySQL's Com_select.
import type { Redis } from 'ioredis'
import type { Pool, RowDataPacket } from 'mysql2/promise'
import { readMeter } from '../meter/read.js'
import type { QueueControl } from '../queue/control.js'
import { summarize } from '../report/amplification.js'
import type { RoutePoint, TimelineSample } from '../report/timeline-model.js'

export interface SamplerOptions {
  pool: Pool
  redis: Redis
  meterPrefix: string
  bucketSeconds: number
  control: QueueControl
  routes: readonly string[]
}

/** MySQL's own count of SELECT statements since it started (all clients). */
export async function comSelect(pool: Pool): Promise<number> {
  const [rows] = await pool.query<RowDataPacket[]>("SHOW GLOBAL STATUS LIKE 'Com_select'")
  return Number(rows[0]?.Value ?? 0)
}

async function shadowCounts(pool: Pool, from: number, to: number): Promise<Map<string, { compared: number; matches: number }>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT route, SUM(outcome <> 'error') AS compared, SUM(outcome = 'match' OR (outcome = 'mismatch' AND cause = 'noise')) AS matches
       FROM shadow_samples WHERE at_ms >= ? AND at_ms < ? GROUP BY route`,
    [from, to],
  )
  return new Map(rows.map((r) => [String(r.route), { compared: Number(r.compared), matches: Number(r.matches) }]))
}

/** Samples one interval [from, to). */
export async function sampleOnce(o: SamplerOptions, from: number, to: number): Promise<TimelineSample> {
  const [reading, shadows, status] = await Promise.all([
    readMeter({ redis: o.redis, prefix: o.meterPrefix, bucketSeconds: o.bucketSeconds, from, to: to - 1 }),
    shadowCounts(o.pool, from, to),
    o.control.status(),
  ])
  const snapshot = summarize(reading, { label: 'sample', durationSeconds: Math.max(0.001, (to - from) / 1000) })
  const routes: Record<string, RoutePoint> = {}
  for (const route of o.routes) {
    const f = snapshot.routes.find((r) => r.route === route)
    const s = shadows.get(route) ?? { compared: 0, matches: 0 }
    routes[route] = {
      requests: f?.requests ?? 0,
      dbCallsPerRequest: f?.dbCallsPerRequest ?? null,
      p50Ms: f?.p50Ms ?? null,
      p99Ms: f?.p99Ms ?? null,
      hitRatio: f?.hitRatio ?? null,
      compared: s.compared,
      matchRate: s.compared > 0 ? s.matches / s.compared : null,
    }
  }
  return { at: to, routes, queue: { depth: status.depth, drainRate: status.drainRate } }
}

/**
 * Samples every `everyMs` until stopped. The meter flushes once a second and
 * its buckets are whole seconds, so each sample reads the interval that ended
 * two seconds ago: by then every instance has sent its counts.
 */
export function startSampler(o: SamplerOptions, everyMs: number, onError: (err: unknown) => void): { samples: TimelineSample[]; stop(): Promise<void> } {
  const samples: TimelineSample[] = []
  const lagMs = 2000
  let from = Math.floor((Date.now() - lagMs) / 1000) * 1000
  let running: Promise<void> = Promise.resolve()
  const timer = setInterval(() => {
    const to = Math.floor((Date.now() - lagMs) / 1000) * 1000
    if (to <= from) return
    const window = { from, to }
    from = to
    running = running.then(() => sampleOnce(o, window.from, window.to).then((s) => void samples.push(s), onError))
  }, everyMs)
  return {
    samples,
    async stop() {
      clearInterval(timer)
      await running
    },
  }
}
