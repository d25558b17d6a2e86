import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { AmplificationReport } from './amplification.js'
import { renderHtml } from './render-html.js'
import { renderJson, renderMarkdown, renderTerminal } from './render-text.js'

export type ReportFormat = 'table' | 'md' | 'html' | 'json'
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'md', 'html', 'json']

export function renderReport(report: AmplificationReport, format: ReportFormat): string {
  switch (format) {
    case 'html':
      return renderHtml(report)
    case 'md':
      return renderMarkdown(report)
    case 'json':
      return renderJson(report)
    case 'table':
      return renderTerminal(report)
  }
}

/** Writes `<dir>/<base>.html`, `.md` and `.json`; resolves to their paths. */
export async function writeReportFiles(report: AmplificationReport, dir: string, base: string): Promise<{ html: string; md: string; json: string }> {
  await mkdir(dir, { recursive: true })
  const paths = { html: join(dir, `${base}.html`), md: join(dir, `${base}.md`), json: join(dir, `${base}.json`) }
  await writeFile(paths.html, renderHtml(report))
  await writeFile(paths.md, renderMarkdown(report))
  await writeFile(paths.json, renderJson(report))
  return paths
}
