// Gathers the shadow findings of the week demo and writes its timeline
// report as HTML, Markdown and JSON.
import { mkdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { Pool } from 'mysql2/promise'
import { buildShadowReport } from '../report/shadow-model.js'
import { loadShadowData } from '../report/shadow-query.js'
import { renderTimelineHtml } from '../report/timeline-html.js'
import { renderTimelineJson, renderTimelineMarkdown } from '../report/timeline-markdown.js'
import type { Finding, TimelineData } from '../report/timeline-model.js'
import { CAUSES } from '../shadow/classify.js'

export interface WeekReportFiles {
  html: string
  md: string
  json: string
}

/** Shadow mismatches of the run per cause, each with one example (its diff when one was stored). */
export async function shadowFindings(pool: Pool, routes: readonly string[], from: number, to: number): Promise<Finding[]> {
  const data = await loadShadowData(pool, { routes, from, to })
  const report = buildShadowReport(data, { generatedAt: Date.now(), window: { from, to }, examplesPerRoute: 5 })
  const findings: Finding[] = []
  for (const cause of CAUSES) {
    const count = report.routes.reduce((n, r) => n + r.mismatches[cause], 0)
    if (count === 0) continue
    const examples = report.routes.flatMap((r) => r.examples.filter((e) => e.cause === cause))
    const e = examples.find((x) => x.patch) ?? examples[0]
    findings.push({ cause, count, ...(e ? { example: { route: e.route, url: e.url, at: e.at, patch: e.patch, shape: e.shape } } : {}) })
  }
  return findings
}

/** Writes `<dir>/week-<time>.html`, `.md` and `.json`. */
export async function writeWeekReport(pool: Pool, data: TimelineData, outDir: string): Promise<WeekReportFiles> {
  data.findings = await shadowFindings(pool, data.routes, data.startedAt, data.endedAt + 1)
  const dir = resolve(outDir)
  await mkdir(dir, { recursive: true })
  const base = join(dir, `week-${new Date(data.endedAt).toISOString().replace(/[:.]/g, '-')}`)
  const files = { html: `${base}.html`, md: `${base}.md`, json: `${base}.json` }
  await writeFile(files.html, renderTimelineHtml(data))
  await writeFile(files.md, renderTimelineMarkdown(data))
  await writeFile(files.json, renderTimelineJson(data))
  return files
}
