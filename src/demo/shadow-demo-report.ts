import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Pool } from 'mysql2/promise'
import { renderShadowHtml } from '../report/shadow-html.js'
import { renderShadowJson, renderShadowMarkdown } from '../report/shadow-markdown.js'
import { buildShadowReport, type PathNode, type ShadowReport } from '../report/shadow-model.js'
import { loadShadowData } from '../report/shadow-query.js'
import { CAUSES } from '../shadow/classify.js'

export interface ShadowDemoFiles {
  html: string
  md: string
  json: string
}

export interface ShadowDemoReportOptions {
  route: string
  /** The run's window, epoch ms (from inclusive, to exclusive). */
  from: number
  to: number
  outDir: string
}

/** The differing path shapes (leaves of the report's tree) with their counts per cause. */
export function leafPaths(nodes: readonly PathNode[]): Array<{ path: string; counts: PathNode['counts'] }> {
  return nodes.flatMap((n) => (n.children.length === 0 ? [{ path: n.path, counts: n.counts }] : leafPaths(n.children)))
}

/** Terminal lines: per cause, how many samples and at which paths. */
export function summaryLines(report: ShadowReport): string[] {
  const out: string[] = []
  for (const r of report.routes) {
    const age = r.stalePageAge.max === null ? '' : `; stale cached pages up to ${(r.stalePageAge.max / 1000).toFixed(1)} s old`
    const causes = CAUSES.filter((c) => r.mismatches[c] > 0).map((c) => `${c} ${r.mismatches[c]}`).join(', ') || 'none'
    out.push(`${r.route}: ${r.samples} compared samples (${r.errors} errors), mismatches by cause ${causes}, ${r.verdict.ready ? 'ready' : 'not ready'}${age}`)
    const leaves = leafPaths(r.paths)
    for (const cause of CAUSES) {
      const at = leaves.filter((l) => (l.counts[cause] ?? 0) > 0).map((l) => `${l.path} in ${l.counts[cause]} samples`)
      if (at.length > 0) out.push(`  ${cause.padEnd(10)} at ${at.join(', ')}`)
    }
  }
  if (report.routes.length === 0) out.push('no shadow samples were stored')
  return out
}

/** Builds the shadow report of one demo run from the tables and writes it as HTML, Markdown and JSON. */
export async function writeShadowDemoReport(
  pool: Pool,
  options: ShadowDemoReportOptions,
): Promise<{ report: ShadowReport; files: ShadowDemoFiles; summary: string[] }> {
  const window = { from: options.from, to: options.to }
  const data = await loadShadowData(pool, { routes: [options.route], ...window })
  const report = buildShadowReport(data, { generatedAt: Date.now(), window, examplesPerRoute: 3 })
  const dir = resolve(options.outDir)
  await mkdir(dir, { recursive: true })
  const base = join(dir, `shadow-demo-${new Date(options.to).toISOString().replace(/[:.]/g, '-')}`)
  const files = { html: `${base}.html`, md: `${base}.md`, json: `${base}.json` }
  await writeFile(files.html, renderShadowHtml(report))
  await writeFile(files.md, renderShadowMarkdown(report))
  await writeFile(files.json, renderShadowJson(report))
  return { report, files, summary: summaryLines(report) }
}
