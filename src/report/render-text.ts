import { comparisonRows, FIGURES_NOTE, formatNumber, ROUTE_COLUMNS, type AmplificationReport, type AmplificationSnapshot } from './amplification.js'

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ').trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)]
}

function snapshotLines(s: AmplificationSnapshot): string[] {
  const header = ROUTE_COLUMNS.map(([h]) => h)
  const rows = [...s.routes, s.total].map((r) => ROUTE_COLUMNS.map(([, cell]) => cell(r)))
  const lines = [`${s.label}: ${s.from} .. ${s.to} (${formatNumber(s.durationSeconds)} s of traffic)`, ...table(header, rows)]
  for (const q of s.queues) lines.push(`queue ${q.name}: depth ${formatNumber(q.depthLast)} at the end, ${formatNumber(q.depthMax)} at most`)
  if (s.shadow.length > 0) {
    lines.push('', 'shadow renders (not user traffic):', ...table(header, s.shadow.map((r) => ROUTE_COLUMNS.map(([, cell]) => cell(r)))))
  }
  return lines
}

/** The report as a plain-text table for a terminal. */
export function renderTerminal(report: AmplificationReport): string {
  const lines = [report.title, '']
  for (const phase of report.phases) lines.push(...snapshotLines(phase), '')
  const before = report.phases[0]
  const after = report.phases[report.phases.length - 1]
  if (before && after && report.phases.length > 1) {
    lines.push(...table(['all routes', before.label, after.label, 'change'], comparisonRows(before, after)), '')
  }
  lines.push(FIGURES_NOTE)
  return lines.join('\n')
}

const mdEscape = (s: string): string => s.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`)

function mdTable(header: string[], rows: string[][]): string[] {
  return [
    `| ${header.map(mdEscape).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(mdEscape).join(' | ')} |`),
  ]
}

/** The report as Markdown. */
export function renderMarkdown(report: AmplificationReport): string {
  const lines = [`# ${mdEscape(report.title)}`, '', `Generated ${report.generatedAt}. ${mdEscape(FIGURES_NOTE)}`, '']
  const before = report.phases[0]
  const after = report.phases[report.phases.length - 1]
  if (before && after && report.phases.length > 1) {
    lines.push('## Before and after', '', ...mdTable(['all routes', before.label, after.label, 'change'], comparisonRows(before, after)), '')
  }
  for (const s of report.phases) {
    lines.push(`## ${mdEscape(s.label)}`, '', `${s.from} .. ${s.to}, ${formatNumber(s.durationSeconds)} s of traffic.`, '')
    lines.push(...mdTable(ROUTE_COLUMNS.map(([h]) => h), [...s.routes, s.total].map((r) => ROUTE_COLUMNS.map(([, cell]) => cell(r)))), '')
    for (const q of s.queues) lines.push(`- queue \`${q.name}\`: depth ${formatNumber(q.depthLast)} at the end, ${formatNumber(q.depthMax)} at most`)
    if (s.queues.length > 0) lines.push('')
    if (s.shadow.length > 0) {
      lines.push('Shadow renders (not user traffic):', '', ...mdTable(ROUTE_COLUMNS.map(([h]) => h), s.shadow.map((r) => ROUTE_COLUMNS.map(([, cell]) => cell(r)))), '')
    }
  }
  return lines.join('\n')
}

/** The report as JSON (the model as it is; numbers unrounded). */
export function renderJson(report: AmplificationReport): string {
  return JSON.stringify(report, null, 2) + '\n'
}
