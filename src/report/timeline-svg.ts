// Inline SVG charts of the timeline report: a time axis shared by every chart
// of a run, stage bands, decision marks and line series. No script, no
// external asset: the page draws the same anywhere, offline.
import { escapeHtml as h } from './escape-html.js'
import type { Decision, HoldSpan, StageSpan } from './timeline-model.js'

export const WIDTH = 640
const LEFT = 56
const RIGHT = 12
const PLOT = WIDTH - LEFT - RIGHT

export interface Axis {
  from: number
  to: number
  /** Labels of the time axis: wall ms and text (the playbook's days). */
  ticks: Array<{ at: number; label: string }>
}

export interface Series {
  name: string
  color: string
  /** [wall ms, value]; null breaks the line. */
  points: Array<[number, number | null]>
}

export const STAGE_COLORS: Record<string, string> = {
  measure: '#d8e2ef', shadow: '#e9dcf5', 'canary-10': '#fdebc8', 'canary-50': '#fbd9a0', on: '#cdebd3', done: '#b5e0bf',
  'off (rolled back)': '#f6c9c6', drain: '#cfe6f6', retire: '#b9d6ec', complete: '#b9d6ec',
}
export const MARK_COLORS: Record<Decision['kind'], string> = {
  passed: '#1c7c3a', failed: '#c62828', 'stepped back': '#e07b00', 'rolled back': '#7f1010', done: '#1c7c3a', retired: '#1f5fa8',
}

const x = (a: Axis, t: number): number => LEFT + ((t - a.from) / Math.max(1, a.to - a.from)) * PLOT
const fmt = (v: number): string => (v >= 100 ? Math.round(v).toString() : Number(v.toPrecision(2)).toString())

function axisLines(a: Axis, top: number, height: number): string {
  return a.ticks
    .filter((t) => t.at >= a.from && t.at <= a.to)
    .map((t) => `<line x1="${x(a, t.at).toFixed(1)}" x2="${x(a, t.at).toFixed(1)}" y1="${top}" y2="${top + height}" class="grid"/><text x="${(x(a, t.at) + 2).toFixed(1)}" y="${top + height + 13}" class="tick">${h(t.label)}</text>`)
    .join('')
}

/** Stage bands and decision marks of one route (or the queue) along the axis. */
export function stageStrip(a: Axis, spans: readonly StageSpan[], marks: readonly Decision[], link: (d: Decision) => string | undefined, holds: readonly HoldSpan[] = []): string {
  const height = 34
  // Gates that held for samples: a grey bar under the stage, from the first such reading to the last.
  const held = holds
    .map((s) => `<g class="mark" data-kind="held for samples"><title>held for samples in ${h(s.stage)}: ${h(s.gate)} ${h(s.detail)}</title><rect x="${x(a, s.from).toFixed(1)}" y="${height - 6}" width="${Math.max(2, x(a, s.to) - x(a, s.from)).toFixed(1)}" height="4" fill="#6b7280"/></g>`)
    .join('')
  const bands = spans
    .map((s) => {
      const x0 = x(a, s.from)
      const w = Math.max(1, x(a, s.to) - x0)
      const label = w > 44 ? `<text x="${(x0 + 3).toFixed(1)}" y="21" class="band">${h(s.stage)}</text>` : ''
      return `<g class="stage" data-stage="${h(s.stage)}"><rect x="${x0.toFixed(1)}" y="6" width="${w.toFixed(1)}" height="${height - 12}" fill="${STAGE_COLORS[s.stage] ?? '#e5e7eb'}"><title>${h(s.stage)} (${h(s.reason)})</title></rect>${label}</g>`
    })
    .join('')
  const ticks = marks
    .map((d) => {
      const cx = x(a, d.at).toFixed(1)
      const shape = `<path d="M${cx} 2 l5 -0 l-5 8 l-5 -8 z" fill="${MARK_COLORS[d.kind]}"/><line x1="${cx}" x2="${cx}" y1="2" y2="${height}" stroke="${MARK_COLORS[d.kind]}" stroke-width="1.5"/>`
      const href = link(d)
      const body = `<g class="mark" data-kind="${h(d.kind)}"><title>${h(d.kind)}: ${h(d.detail)}</title>${shape}</g>`
      return href ? `<a href="${h(href)}">${body}</a>` : body
    })
    .join('')
  return `<svg class="strip" viewBox="0 0 ${WIDTH} ${height + 16}" role="img" aria-label="stages and gate decisions" data-points="${spans.length}">${axisLines(a, 0, height)}${bands}${held}${ticks}</svg>`
}

function polylines(a: Axis, s: Series, y: (v: number) => number): string {
  const runs: string[][] = [[]]
  for (const [t, v] of s.points) {
    if (v === null || !Number.isFinite(v)) {
      if ((runs.at(-1) ?? []).length > 0) runs.push([])
      continue
    }
    runs.at(-1)?.push(`${x(a, t).toFixed(1)},${y(v).toFixed(1)}`)
  }
  return runs
    .filter((r) => r.length > 0)
    .map((r) => (r.length === 1 ? `<circle cx="${r[0]?.split(',')[0]}" cy="${r[0]?.split(',')[1]}" r="1.5" fill="${s.color}"/>` : `<polyline points="${r.join(' ')}" fill="none" stroke="${s.color}" stroke-width="1.5"/>`))
    .join('')
}

/** A line chart over the axis; `yMax` fixes the scale (ratios), else it fits the data. */
export function lineChart(a: Axis, title: string, series: readonly Series[], options: { yMax?: number; marks?: readonly Decision[]; unit?: string } = {}): string {
  const top = 18
  const height = 96
  const values = series.flatMap((s) => s.points.flatMap(([, v]) => (v === null || !Number.isFinite(v) ? [] : [v])))
  const max = options.yMax ?? Math.max(1e-9, ...values) * 1.1
  const y = (v: number): number => top + height - (Math.min(v, max) / max) * height
  const legend = series.map((s, i) => `<text x="${WIDTH - RIGHT - (series.length - 1 - i) * 70}" y="12" class="legend" text-anchor="end" fill="${s.color}">&#9632; ${h(s.name)}</text>`).join('')
  const marks = (options.marks ?? []).map((d) => `<line x1="${x(a, d.at).toFixed(1)}" x2="${x(a, d.at).toFixed(1)}" y1="${top}" y2="${top + height}" stroke="${MARK_COLORS[d.kind]}" stroke-dasharray="3 2"/>`).join('')
  const scale = `<text x="${LEFT - 4}" y="${top + 8}" class="ylab">${fmt(max)}${h(options.unit ?? '')}</text><text x="${LEFT - 4}" y="${top + height}" class="ylab">0</text>`
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${top + height + 18}" role="img" aria-label="${h(title)}" data-points="${values.length}">
<text x="${LEFT}" y="12" class="ctitle">${h(title)}</text>${legend}
<rect x="${LEFT}" y="${top}" width="${PLOT}" height="${height}" class="frame"/>${axisLines(a, top, height)}${scale}${marks}${series.map((s) => polylines(a, s, y)).join('')}</svg>`
}
