import { comparisonRows, FIGURES_NOTE, formatNumber, ROUTE_COLUMNS, type AmplificationReport, type AmplificationSnapshot, type RouteFigures } from './amplification.js'
import { escapeHtml } from './escape-html.js'

export { escapeHtml }

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2430;background:#fff}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #dde3ea;padding-bottom:.3rem}
.meta{color:#5b6675}table{border-collapse:collapse;width:100%;margin:.8rem 0;font-variant-numeric:tabular-nums}
th,td{padding:.35rem .6rem;border-bottom:1px solid #e8ecf1;text-align:right;white-space:nowrap}th:first-child,td:first-child{text-align:left}
th{background:#f4f6f9;font-weight:600}tr.total td{font-weight:600;border-top:2px solid #c9d1db}
.bar{display:inline-block;height:.7rem;background:#d9534f;border-radius:2px;vertical-align:middle;margin-left:.4rem}
.bar.after{background:#2e8b57}.cards{display:flex;gap:1rem;flex-wrap:wrap;margin:1rem 0}
.card{border:1px solid #dde3ea;border-radius:6px;padding:.8rem 1rem;min-width:12rem}.card b{display:block;font-size:1.5rem}
@media (prefers-color-scheme:dark){body{background:#14181f;color:#e3e8ef}th{background:#1f2631}th,td{border-color:#2a3340}.card{border-color:#2a3340}.meta{color:#9aa6b6}}
`

function routeTable(routes: RouteFigures[], total: RouteFigures | undefined): string {
  const max = Math.max(1, ...routes.map((r) => r.dbCallsPerRequest ?? 0))
  const head = `<tr>${ROUTE_COLUMNS.map(([h]) => `<th>${escapeHtml(h)}</th>`).join('')}</tr>`
  const row = (r: RouteFigures, cls = ''): string => {
    const cells = ROUTE_COLUMNS.map(([h, cell]) => {
      const bar = h === 'DB/request' && r.dbCallsPerRequest !== null && !cls
        ? `<span class="bar" style="width:${Math.round((r.dbCallsPerRequest / max) * 80)}px"></span>` : ''
      return `<td>${escapeHtml(cell(r))}${bar}</td>`
    })
    return `<tr${cls ? ` class="${cls}"` : ''}>${cells.join('')}</tr>`
  }
  return `<table><thead>${head}</thead><tbody>${routes.map((r) => row(r)).join('')}${total ? row(total, 'total') : ''}</tbody></table>`
}

function snapshotSection(s: AmplificationSnapshot): string {
  const queues = s.queues.map((q) => `<li>queue <code>${escapeHtml(q.name)}</code>: depth ${formatNumber(q.depthLast)} at the end, ${formatNumber(q.depthMax)} at most</li>`).join('')
  return [
    `<h2>${escapeHtml(s.label)}</h2>`,
    `<p class="meta">${escapeHtml(s.from)} .. ${escapeHtml(s.to)}, ${formatNumber(s.durationSeconds)} s of traffic</p>`,
    routeTable(s.routes, s.total),
    queues ? `<ul>${queues}</ul>` : '',
    s.shadow.length > 0 ? `<h3>Shadow renders (not user traffic)</h3>${routeTable(s.shadow, undefined)}` : '',
  ].join('\n')
}

function comparison(before: AmplificationSnapshot, after: AmplificationSnapshot): string {
  const rows = comparisonRows(before, after)
  const cards = [
    ['DB calls per request', formatNumber(before.total.dbCallsPerRequest), formatNumber(after.total.dbCallsPerRequest)],
    ['requests/s', formatNumber(before.total.requestsPerSecond), formatNumber(after.total.requestsPerSecond)],
  ].map(([label, b, a]) => `<div class="card">${escapeHtml(label ?? '')}<b>${escapeHtml(b ?? '')} &rarr; ${escapeHtml(a ?? '')}</b></div>`)
  const head = `<tr><th>all routes</th><th>${escapeHtml(before.label)}</th><th>${escapeHtml(after.label)}</th><th>change</th></tr>`
  const body = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`).join('')
  return `<h2>Before and after</h2><div class="cards">${cards.join('')}</div><table><thead>${head}</thead><tbody>${body}</tbody></table>`
}

/** The report as one self-contained HTML page (inline CSS, no scripts, no external assets). */
export function renderHtml(report: AmplificationReport): string {
  const before = report.phases[0]
  const after = report.phases[report.phases.length - 1]
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(report.title)}</title><style>${STYLE}</style></head>
<body><h1>${escapeHtml(report.title)}</h1><p class="meta">Generated ${escapeHtml(report.generatedAt)}. ${escapeHtml(FIGURES_NOTE)}</p>
${before && after && report.phases.length > 1 ? comparison(before, after) : ''}
${report.phases.map(snapshotSection).join('\n')}
</body></html>
`
}
