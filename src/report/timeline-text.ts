// Rows and figures the timeline's HTML and Markdown share.
import { formatMs, formatNumber, type RouteFigures } from './amplification.js'
import type { Delivery, SummaryPhase, TimelineData } from './timeline-model.js'

/** `2d 3h`, `4h 10m`, `12.5 s`. */
export function duration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  const m = Math.round(ms / 60_000)
  if (m < 60) return `${m}m`
  const hours = Math.floor(m / 60)
  if (hours < 24) return `${hours}h ${m % 60}m`
  return `${Math.floor(hours / 24)}d ${hours % 24}h`
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`)

function cells(p: SummaryPhase): string[] {
  const t: RouteFigures = p.snapshot.total
  return [
    formatNumber(t.dbCallsPerRequest),
    formatNumber(p.comSelectPerRequest),
    formatNumber(t.requestsPerSecond),
    formatMs(t.p50Ms),
    formatMs(t.p99Ms),
    pct(t.hitRatio),
  ]
}

const LABELS = ['DB calls/request (meter)', 'DB calls/request (MySQL Com_select)', 'requests/s', 'p50', 'p99', 'page cache hit ratio']

/** The before/after summary: label, before, after. */
export function beforeAfterRows(d: Pick<TimelineData, 'before' | 'after' | 'routes'>): string[][] {
  const b = cells(d.before)
  const a = cells(d.after)
  const rows = LABELS.map((label, i) => [label, b[i] ?? '-', a[i] ?? '-'])
  for (const route of d.routes) {
    const f = (p: SummaryPhase): string => formatNumber(p.snapshot.routes.find((r) => r.route === route)?.dbCallsPerRequest ?? null)
    rows.push([`${route}: DB calls/request`, f(d.before), f(d.after)])
  }
  return rows
}

export function deliveryRows(dora: Delivery): string[][] {
  return dora.routes.map((r) => [
    r.route, String(r.stagesEntered), String(r.promoted), String(r.failures),
    r.leadTimeScaledMs === null ? 'never on' : duration(r.leadTimeScaledMs),
    r.leadTimeWallMs === null ? '-' : duration(r.leadTimeWallMs),
  ])
}
