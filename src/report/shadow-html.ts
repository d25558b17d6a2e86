import { CAUSES } from '../shadow/classify.js'
import { CAUSE_LABEL, countsText, escapeHtml as h, lat, num, pct, sampleRateText } from './shadow-format.js'
import type { PathNode, RouteReport, ShadowExample, ShadowReport } from './shadow-model.js'

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
header{background:#1d2330;color:#fff;padding:16px 24px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c5cad3}
main{padding:16px 24px;max-width:1200px}
section.route{background:#fff;border:1px solid #dde1e7;border-radius:6px;margin:0 0 20px;padding:16px}
h2{margin:0 0 8px;font-size:18px}h3{font-size:15px;margin:16px 0 6px}
.badge{display:inline-block;border-radius:4px;padding:2px 8px;font-weight:600;font-size:13px;margin-left:8px}
.ready{background:#d7f5dd;color:#17612a}.not-ready{background:#fde0e0;color:#8a1c1c}
table{border-collapse:collapse;margin:4px 0}td,th{border:1px solid #dde1e7;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f0f2f5}
.ok{color:#17612a}.fail{color:#8a1c1c;font-weight:600}
ul.tree{list-style:none;padding-left:18px;margin:2px 0}ul.tree li{margin:1px 0}.path{font-family:ui-monospace,Menlo,monospace}
.c-leak{color:#a40000;font-weight:700}.c-logic{color:#b3261e}.c-unexplained{color:#8a5a00}.c-staleness{color:#1f5fa8}.c-noise{color:#6b7280}.c-ignored{color:#9ca3af}
pre.diff{background:#0f1420;color:#d6dae2;padding:8px;border-radius:4px;overflow:auto;font:12px/1.4 ui-monospace,Menlo,monospace}
pre.diff .add{color:#7ee787;background:#12301c;display:block}pre.diff .del{color:#ffa198;background:#3a1518;display:block}pre.diff .hunk{color:#79c0ff;display:block}pre.diff .meta{color:#8b949e;display:block}
code.curl{display:block;background:#f0f2f5;padding:6px;border-radius:4px;font:12px ui-monospace,Menlo,monospace;white-space:pre-wrap;word-break:break-all}
.example{border-top:1px solid #eceef2;padding-top:8px;margin-top:8px}
`

/** A unified diff as coloured lines (add, del, hunk, meta). */
export function diffHtml(patch: string): string {
  return patch
    .split('\n')
    .map((line) => {
      const cls = line.startsWith('+++') || line.startsWith('---') || line.startsWith('===') ? 'meta' : line.startsWith('+') ? 'add' : line.startsWith('-') ? 'del' : line.startsWith('@@') ? 'hunk' : ''
      return cls ? `<span class="${cls}">${h(line)}</span>` : h(line) + '\n'
    })
    .join('')
}

function tree(nodes: PathNode[]): string {
  if (nodes.length === 0) return ''
  return `<ul class="tree">${nodes
    .map((n) => {
      const causes = Object.entries(n.counts)
        .map(([c, k]) => `<span class="c-${c}">${h(CAUSE_LABEL[c as keyof typeof CAUSE_LABEL])} ${k}</span>`)
        .join(', ')
      const why = n.ignoredReasons.length > 0 ? ` <span class="c-ignored">(${h(n.ignoredReasons.join('; '))})</span>` : ''
      return `<li><span class="path" title="${h(n.path)}">${h(n.name)}</span> – ${causes}${why}${tree(n.children)}</li>`
    })
    .join('')}</ul>`
}

function example(e: ShadowExample): string {
  const headers = Object.entries(e.headers)
    .map(([k, v]) => `${h(k)}: ${h(v)}`)
    .join('<br>')
  return `<div class="example">
<div><span class="c-${e.cause ?? 'ignored'}">${h(e.cause ?? 'ignored')}</span> at <span class="path">${h(e.shape)}</span> – ${h(new Date(e.at).toISOString())}${e.pageAgeMs !== null ? `, cached page age ${Math.round(e.pageAgeMs / 1000)} s` : ''}</div>
<div><b>${h(e.method)} ${h(e.url)}</b></div>
<div class="headers">${headers}</div>
<code class="curl">${h(e.curl)}</code>
${e.patch ? `<pre class="diff">${diffHtml(e.patch)}</pre>` : ''}
</div>`
}

function route(r: RouteReport): string {
  const checks = r.verdict.checks.map((c) => `<tr><td>${h(c.name)}</td><td class="${c.ok ? 'ok' : 'fail'}">${c.ok ? 'pass' : 'fail'}</td><td>${h(c.detail)}</td></tr>`).join('')
  const causes = CAUSES.map((c) => `<td class="c-${c}">${r.mismatches[c]}</td>`).join('')
  return `<section class="route" id="route-${h(r.route)}">
<h2>${h(r.route)}<span class="badge verdict ${r.verdict.ready ? 'ready' : 'not-ready'}">${r.verdict.ready ? 'ready' : 'not ready'}</span></h2>
<table>
<tr><th>compared samples</th><td>${r.samples}</td><th>errors</th><td>${r.errors}</td></tr>
<tr><th>sample rate</th><td colspan="3">${h(sampleRateText(r.sampleRate))}</td></tr>
<tr><th>match rate (noise excluded)</th><td colspan="3">${pct(r.matchRate.rate)} (interval ${pct(r.matchRate.lower)} – ${pct(r.matchRate.upper)}); exact matches ${r.matches}</td></tr>
<tr><th>latency p50 / p95 / p99</th><td colspan="3">control ${lat(r.latency.control)}<br>candidate ${lat(r.latency.candidate)}</td></tr>
<tr><th>DB calls per request<br><small>inline + queued refresh reads</small></th><td colspan="3">control ${num(r.dbCallsPerRequest.control)} · candidate ${num(r.dbCallsPerRequest.candidate)}</td></tr>
<tr><th>refresh jobs per request</th><td colspan="3">control ${num(r.refreshJobsPerRequest.control)} · candidate ${num(r.refreshJobsPerRequest.candidate)}</td></tr>
<tr><th>stale page age</th><td colspan="3">p50 ${r.stalePageAge.p50 === null ? '–' : Math.round(r.stalePageAge.p50 / 1000) + ' s'} · max ${r.stalePageAge.max === null ? '–' : Math.round(r.stalePageAge.max / 1000) + ' s'}</td></tr>
</table>
<h3>Mismatches by cause</h3>
<table><tr>${CAUSES.map((c) => `<th>${c}</th>`).join('')}</tr><tr>${causes}</tr></table>
<h3>Readiness</h3>
<table><tr><th>check</th><th>result</th><th>detail</th></tr>${checks}</table>
<h3>Differing paths</h3>
${r.paths.length > 0 ? tree(r.paths) : '<p>none</p>'}
<h3>Examples</h3>
${r.examples.length > 0 ? r.examples.map(example).join('\n') : '<p>none</p>'}
</section>`
}

/** A self-contained page (inline CSS, no scripts, no external assets). */
export function renderShadowHtml(report: ShadowReport): string {
  const summary = report.routes
    .map((r) => `<tr><td><a href="#route-${h(r.route)}">${h(r.route)}</a></td><td>${r.samples}</td><td>${pct(r.matchRate.rate)}</td><td>${h(countsText(Object.fromEntries(Object.entries(r.mismatches).filter(([, n]) => n > 0))) || '–')}</td><td class="${r.verdict.ready ? 'ok' : 'fail'}">${r.verdict.ready ? 'ready' : 'not ready'}</td></tr>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>cutover shadow report</title><style>${STYLE}</style></head>
<body><header><h1>cutover shadow report</h1><p>generated ${h(report.generatedAt)} · window ${h(report.window.from ?? 'beginning')} – ${h(report.window.to ?? 'now')} · intervals at ${pct(report.confidence)}</p></header>
<main>
<table id="summary"><tr><th>route</th><th>samples</th><th>match rate</th><th>mismatches</th><th>verdict</th></tr>${summary || '<tr><td colspan="5">no samples in the window</td></tr>'}</table>
${report.routes.map(route).join('\n')}
</main></body></html>
`
}
