// The timeline report as one self-contained page: inline CSS and SVG, no
// script, nothing loaded from anywhere. Readable on a phone: charts scale to
// the width, tables scroll sideways.
import { formatNumber } from './amplification.js'
import { escapeHtml as h } from './escape-html.js'
import { diffHtml } from './shadow-html.js'
import { lineChart, stageStrip, STAGE_COLORS, type Axis, type Series } from './timeline-svg.js'
import { decisions, delivery, scaledAtWall, stageSpans, type Decision, type TimelineData } from './timeline-model.js'
import { beforeAfterRows, deliveryRows, duration } from './timeline-text.js'

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:14px 18px}header h1{margin:0;font-size:1.25rem}header p{margin:4px 0 0;color:#c5cad3;font-size:.9rem}
main{padding:12px 16px;max-width:1100px;margin:0 auto}
section{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:0 0 16px;padding:12px 14px}
h2{margin:0 0 8px;font-size:1.1rem}h3{font-size:1rem;margin:12px 0 4px}
.scroll{overflow-x:auto}table{border-collapse:collapse;margin:4px 0;font-variant-numeric:tabular-nums}
td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:right;white-space:nowrap}th{background:#f0f2f5}td:first-child,th:first-child{text-align:left}
ul.story{list-style:none;padding:0;margin:0}ul.story li{margin:2px 0}.ok{color:#17612a}.fail{color:#b3261e;font-weight:600}
svg{width:100%;height:auto;display:block;margin:4px 0}svg text{font:11px system-ui,sans-serif;fill:#4b5563}
svg .tick{font-size:10px}svg .ctitle{font-weight:600;fill:#1d2330}svg .band{font-size:10px;fill:#1d2330}svg .ylab{text-anchor:end;font-size:10px}
svg .grid{stroke:#e5e7eb}svg .frame{fill:none;stroke:#d1d5db}
.keys span{display:inline-block;margin:0 10px 4px 0;font-size:.85rem}.keys i{display:inline-block;width:10px;height:10px;margin-right:4px;vertical-align:middle}
pre.diff{background:#0f1420;color:#d6dae2;padding:8px;border-radius:4px;overflow:auto;font:12px/1.4 ui-monospace,Menlo,monospace;max-height:22rem}
pre.diff .add{color:#7ee787;background:#12301c;display:block}pre.diff .del{color:#ffa198;background:#3a1518;display:block}pre.diff .hunk{color:#79c0ff;display:block}pre.diff .meta{color:#8b949e;display:block}
.decisions td{white-space:normal;text-align:left}
`

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat']

/** Time axis ticks at each midnight of the playbook clock, labelled with the day. */
function axisOf(d: TimelineData): Axis {
  const ticks: Axis['ticks'] = []
  const first = scaledAtWall(d.events, d.startedAt, d.timeScale)
  const last = scaledAtWall(d.events, d.endedAt, d.timeScale)
  const dayMs = 86_400_000
  const span = Math.max(1, d.endedAt - d.startedAt)
  for (let s = Math.ceil(first / dayMs) * dayMs; s <= last && ticks.length < 60; s += dayMs) {
    const wall = d.startedAt + ((s - first) / Math.max(1, last - first)) * span
    ticks.push({ at: wall, label: DAYS[new Date(s).getUTCDay()] ?? '' })
  }
  return { from: d.startedAt, to: d.endedAt, ticks }
}

const findingLink = (d: TimelineData) => (m: Decision): string | undefined => {
  if (m.kind !== 'failed') return undefined
  const cause = /logicMismatches/.test(m.detail) ? 'logic' : /leaks/.test(m.detail) ? 'leak' : undefined
  return cause && d.findings.some((f) => f.cause === cause) ? `#finding-${cause}` : '#decisions'
}

function routeSection(d: TimelineData, a: Axis, route: string): string {
  const spans = stageSpans(d.events, d.endedAt).filter((s) => s.route === route)
  const marks = decisions(d.events).filter((m) => m.route === route)
  const pts = (f: (p: NonNullable<TimelineData['samples'][number]['routes'][string]>) => number | null): Array<[number, number | null]> =>
    d.samples.map((s) => { const p = s.routes[route]; return [s.at, p ? f(p) : null] })
  const db: Series[] = [{ name: 'inline + refresh reads', color: '#b3261e', points: pts((p) => p.dbCallsPerRequest) }]
  const latency: Series[] = [
    { name: 'p50', color: '#1f5fa8', points: pts((p) => p.p50Ms) },
    { name: 'p99', color: '#e07b00', points: pts((p) => p.p99Ms) },
  ]
  const hit: Series[] = [{ name: 'hit ratio', color: '#1c7c3a', points: pts((p) => p.hitRatio) }]
  const match: Series[] = [{ name: 'shadow match rate', color: '#6b21a8', points: pts((p) => (p.compared > 0 ? p.matchRate : null)) }]
  const last = spans.at(-1)?.stage ?? 'not started'
  return `<section class="route" id="route-${h(route)}"><h2>${h(route)} <small>ends ${h(last)}</small></h2>
${stageStrip(a, spans, marks, findingLink(d), d.holds.filter((x) => x.route === route))}
${lineChart(a, 'DB calls per request', db, { marks })}
${lineChart(a, 'latency, ms', latency, { marks, unit: ' ms' })}
${lineChart(a, 'page cache hit ratio', hit, { yMax: 1, marks })}
${lineChart(a, 'shadow match rate', match, { yMax: 1, marks })}
</section>`
}

function queueSection(d: TimelineData, a: Axis): string {
  const spans = stageSpans(d.events, d.endedAt).filter((s) => s.route === null)
  const marks = decisions(d.events).filter((m) => m.route === null)
  const depth: Series[] = [{ name: 'jobs queued', color: '#1f5fa8', points: d.samples.map((s) => [s.at, s.queue.depth]) }]
  const rate: Series[] = [{ name: 'drained jobs/s', color: '#1c7c3a', points: d.samples.map((s) => [s.at, s.queue.drainRate]) }]
  const retired = marks.find((m) => m.kind === 'retired')
  return `<section id="queue"><h2>Refresh queue</h2>
<p>${d.drained.toLocaleString('en-US')} jobs refreshed by the drainer (batched <code>WHERE id IN (...)</code> reads, none dropped). ${retired ? `Retired at ${h(duration(retired.at - d.startedAt))} into the run.` : 'Not retired in this run.'}</p>
${stageStrip(a, spans, marks, () => undefined, d.holds.filter((x) => x.route === null))}
${lineChart(a, 'queue depth', depth, { marks })}
${lineChart(a, 'drain rate, jobs/s', rate, { marks })}
</section>`
}

function findingsSection(d: TimelineData): string {
  const items = d.findings.map((f) => `<div class="finding" id="finding-${h(f.cause)}"><h3>${h(f.cause)}: ${f.count} sample(s)</h3>
${f.example ? `<p>${h(f.example.route)} <code>${h(f.example.url)}</code> at <code>${h(f.example.shape)}</code></p>${f.example.patch ? `<pre class="diff">${diffHtml(f.example.patch)}</pre>` : ''}` : ''}</div>`)
  return `<section id="findings"><h2>Shadow findings by cause</h2>${items.join('\n') || '<p>No shadow mismatch: every compared page was equal.</p>'}</section>`
}

function table(head: string[], rows: string[][], id?: string): string {
  return `<div class="scroll"><table${id ? ` id="${id}"` : ''}><tr>${head.map((c) => `<th>${h(c)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${h(c)}</td>`).join('')}</tr>`).join('')}</table></div>`
}

/** The report as one self-contained HTML page. */
export function renderTimelineHtml(d: TimelineData): string {
  const a = axisOf(d)
  const dora = delivery(d.events, d.routes)
  const keys = [...Object.entries(STAGE_COLORS), ['held for samples', '#6b7280'] as const].map(([s, c]) => `<span><i style="background:${c}"></i>${h(s)}</span>`).join('')
  const story = d.story.map((c) => `<li class="${c.ok ? 'ok' : 'fail'}">${c.ok ? '&#10003;' : '&#10007;'} ${h(c.text)}</li>`).join('')
  const marks = decisions(d.events).map((m) => [duration(m.at - d.startedAt), DAYS[new Date(m.scaled).getUTCDay()] + ' ' + new Date(m.scaled).toISOString().slice(11, 16), m.route ?? 'queue', m.kind, m.detail])
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${h(d.title)}</title><style>${STYLE}</style></head>
<body><header><h1>${h(d.title)}</h1><p>playbook ${h(d.playbook)} at ${formatNumber(Math.round(d.timeScale))}x: ${h(duration(d.endedAt - d.startedAt))} of wall time · generated ${h(d.generatedAt)}</p></header>
<main>
<section id="summary"><h2>Before and after</h2>
${table(['', 'before', 'after'], beforeAfterRows(d), 'before-after')}
<p>DB calls per request: the meter counts each request's own queries and the refresh reads its queued jobs cost (or still owe); MySQL's figure is the server's Com_select over the same window divided by the requests, every client of the server included.</p>
<h3>The story</h3><ul class="story">${story}</ul></section>
<section id="delivery"><h2>Delivery figures</h2>
${table(['route', 'stages entered', 'promoted', 'gate failures', 'lead time shadow → on (playbook)', '(wall)'], deliveryRows(dora))}
<p>Change failure rate ${dora.changeFailureRate === null ? '–' : `${(dora.changeFailureRate * 100).toFixed(1)}%`} (stages stepped back or rolled back over ${dora.stagesEntered} entered); time to restore ${dora.restores.length === 0 ? '– (no failure)' : dora.restores.map((r) => `${h(r.route)} ${h(duration(r.scaledMs))} playbook time (${h(duration(r.wallMs))} wall)`).join(', ')}.</p></section>
<p class="keys">${keys}</p>
${d.routes.map((r) => routeSection(d, a, r)).join('\n')}
${queueSection(d, a)}
${findingsSection(d)}
<section id="decisions" class="decisions"><h2>Every decision</h2>${table(['into the run', 'playbook clock', 'route', 'decision', 'detail'], marks)}</section>
</main></body></html>
`
}
