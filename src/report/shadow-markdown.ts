import { CAUSES } from '../shadow/classify.js'
import { CAUSE_LABEL, escapeHtml, lat, num, pct, sampleRateText } from './shadow-format.js'
import type { PathNode, RouteReport, ShadowReport } from './shadow-model.js'

function treeLines(nodes: PathNode[], depth: number, out: string[]): void {
  for (const n of nodes) {
    const counts = Object.entries(n.counts)
      .map(([c, k]) => `${CAUSE_LABEL[c as keyof typeof CAUSE_LABEL]} ${k}`)
      .join(', ')
    const why = n.ignoredReasons.length > 0 ? ` (${n.ignoredReasons.join('; ')})` : ''
    out.push(`${'  '.repeat(depth)}- \`${n.name}\` – ${counts}${why}`)
    treeLines(n.children, depth + 1, out)
  }
}

/** Long diffs are cut for a pull request; the HTML and JSON reports keep them whole. */
const maxPatchLines = 60

function clip(patch: string, lines: number): string {
  const all = patch.split('\n')
  return all.length <= lines ? patch : [...all.slice(0, lines), `… ${all.length - lines} more lines (whole diff in the HTML and JSON reports)`].join('\n')
}

function route(r: RouteReport): string {
  const out: string[] = []
  out.push(`### \`${r.route}\` – ${r.verdict.ready ? '✅ ready' : '❌ not ready'}`, '')
  out.push('| | control | candidate |', '| --- | --- | --- |')
  out.push(`| latency p50 / p95 / p99 | ${lat(r.latency.control)} | ${lat(r.latency.candidate)} |`)
  out.push(`| DB calls per request (inline + queued refresh reads) | ${num(r.dbCallsPerRequest.control)} | ${num(r.dbCallsPerRequest.candidate)} |`)
  out.push(`| refresh jobs per request | ${num(r.refreshJobsPerRequest.control)} | ${num(r.refreshJobsPerRequest.candidate)} |`, '')
  if (r.stalePageAge.max !== null) {
    out.push(`Stale cached pages: age p50 ${Math.round((r.stalePageAge.p50 ?? 0) / 1000)} s, max ${Math.round(r.stalePageAge.max / 1000)} s.`, '')
  }
  out.push(
    `${r.samples} compared samples (${r.errors} errors), match rate ${pct(r.matchRate.rate)} ` +
      `(interval ${pct(r.matchRate.lower)} – ${pct(r.matchRate.upper)}), exact matches ${r.matches}.`,
    '',
  )
  if (r.sampleRate) out.push(`Sample rate: ${sampleRateText(r.sampleRate)}.`, '')
  out.push(`| ${CAUSES.join(' | ')} |`, `| ${CAUSES.map(() => '---').join(' | ')} |`, `| ${CAUSES.map((c) => r.mismatches[c]).join(' | ')} |`, '')
  out.push('Readiness:', '')
  for (const c of r.verdict.checks) out.push(`- ${c.ok ? 'pass' : '**fail**'} ${c.name}: ${c.detail}`)
  out.push('', 'Differing paths:', '')
  if (r.paths.length === 0) out.push('none')
  else treeLines(r.paths, 0, out)
  for (const e of r.examples) {
    out.push('', `<details><summary>${e.cause ?? 'ignored'} at <code>${escapeHtml(e.shape)}</code>: ${escapeHtml(`${e.method} ${e.url}`)}</summary>`, '')
    out.push('```sh', e.curl, '```')
    if (e.patch) out.push('', '```diff', clip(e.patch.trimEnd(), maxPatchLines), '```')
    out.push('', '</details>')
  }
  return out.join('\n')
}

/** Markdown for a pull request or the README. */
export function renderShadowMarkdown(report: ShadowReport): string {
  const lines = [
    '## Shadow report',
    '',
    `Window ${report.window.from ?? 'beginning'} – ${report.window.to ?? 'now'}; intervals at ${pct(report.confidence)}.`,
    '',
    '| route | samples | match rate | mismatches | verdict |',
    '| --- | --- | --- | --- | --- |',
    ...report.routes.map(
      (r) =>
        `| \`${r.route}\` | ${r.samples} | ${pct(r.matchRate.rate)} | ${CAUSES.filter((c) => r.mismatches[c] > 0).map((c) => `${c} ${r.mismatches[c]}`).join(', ') || '–'} | ${r.verdict.ready ? 'ready' : 'not ready'} |`,
    ),
    '',
    ...report.routes.map(route),
  ]
  return lines.join('\n') + '\n'
}

/** The JSON format: the report object itself, keys in a fixed order (schema SHADOW_REPORT_SCHEMA). */
export function renderShadowJson(report: ShadowReport): string {
  return JSON.stringify(report, null, 2) + '\n'
}
