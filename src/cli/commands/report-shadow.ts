import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import mysql from 'mysql2/promise'
import { CUTOVER_ERR_REPORT_INVALID } from '../../errors.js'
import { renderShadowHtml } from '../../report/shadow-html.js'
import { renderShadowJson, renderShadowMarkdown } from '../../report/shadow-markdown.js'
import { buildShadowReport, type ShadowReport } from '../../report/shadow-model.js'
import { loadShadowData } from '../../report/shadow-query.js'
import type { ReadinessPolicy } from '../../report/shadow-verdict.js'
import { parseTimeBound } from '../../report/shadow-window.js'
import { CAUSES, type Cause } from '../../shadow/classify.js'
import { mysqlUrlOption, parseOptions, type CliCommand, usage } from '../command.js'

const FORMATS = ['html', 'md', 'json'] as const
type Format = (typeof FORMATS)[number]
const FAIL_ON = [...CAUSES, 'not-ready'] as const

function list<T extends string>(option: string, value: string | undefined, allowed: readonly T[]): T[] {
  if (value === undefined || value === '') return []
  return value.split(',').map((v) => {
    const t = v.trim() as T
    if (!allowed.includes(t)) throw new CUTOVER_ERR_REPORT_INVALID(`${option} to list ${allowed.join(', ')}`, `"${v}"`)
    return t
  })
}

function rate(option: string, value: string): number {
  const n = Number(value)
  if (!(n > 0 && n < 1)) throw new CUTOVER_ERR_REPORT_INVALID(`${option} to be a rate between 0 and 1`, `"${value}"`)
  return n
}

/** Which --fail-on conditions the report trips; empty when none. */
export function failures(report: ShadowReport, failOn: ReadonlyArray<Cause | 'not-ready'>): string[] {
  const out: string[] = []
  for (const r of report.routes) {
    for (const f of failOn) {
      if (f === 'not-ready' ? !r.verdict.ready : r.mismatches[f] > 0) out.push(`${r.route}: ${f === 'not-ready' ? 'not ready' : `${r.mismatches[f]} ${f}`}`)
    }
  }
  return out
}

interface ReportArgs {
  db?: string | undefined
  since?: string | undefined
  until?: string | undefined
  format?: string | undefined
  'fail-on'?: string | undefined
  'min-samples'?: string | undefined
  'max-mismatch'?: string | undefined
  'route-threshold'?: string[] | undefined
  stdout?: string | undefined
}

function options(values: ReportArgs, env: NodeJS.ProcessEnv, now: number) {
  const url = mysqlUrlOption(values.db, env)
  const from = parseTimeBound('--since', values.since ?? '7d', now)
  const to = values.until === undefined ? null : parseTimeBound('--until', values.until, now)
  const formats = values.format === undefined ? [...FORMATS] : list<Format>('--format', values.format, FORMATS)
  const failOn = list('--fail-on', values['fail-on'], FAIL_ON)
  const stdout = values.stdout === undefined ? undefined : list<Format>('--stdout', values.stdout, ['md', 'json'])[0]
  const policy: ReadinessPolicy = {}
  if (values['min-samples'] !== undefined) {
    const n = Number(values['min-samples'])
    if (!Number.isInteger(n) || n < 1) throw new CUTOVER_ERR_REPORT_INVALID('--min-samples to be a positive integer', `"${values['min-samples']}"`)
    policy.minSamples = n
  }
  if (values['max-mismatch'] !== undefined) policy.maxMismatchRate = rate('--max-mismatch', values['max-mismatch'])
  const routePolicies: Record<string, ReadinessPolicy> = {}
  for (const t of values['route-threshold'] ?? []) {
    const eq = t.lastIndexOf('=')
    if (eq <= 0) throw new CUTOVER_ERR_REPORT_INVALID('--route-threshold to be ID=RATE', `"${t}"`)
    routePolicies[t.slice(0, eq)] = { maxMismatchRate: rate('--route-threshold', t.slice(eq + 1)) }
  }
  return { url, from, to, formats, failOn, stdout, policy, routePolicies }
}

export const reportShadow: CliCommand = {
  name: ['report', 'shadow'],
  summary: 'per-route shadow comparison report (HTML, Markdown, JSON) with readiness verdicts',
  help: `usage: cutover report shadow [options]

Reads the shadow tables and writes a report per route: samples, match rate
with its confidence interval, mismatches by cause, the tree of differing
paths, example diffs with a copy-as-curl line, latency and DB calls of both
sides, and the readiness verdict.

  --db URL                mysql:// URL (default: $CUTOVER_MYSQL_URL, then $MYSQL_URL)
  --route ID              only this route (repeatable)
  --since T               window start: a duration ago (30m, 24h, 7d) or an ISO time (default 7d)
  --until T               window end (default now)
  --format LIST           html,md,json (default html,md,json)
  --out DIR               where files go (default reports/)
  --fail-on LIST          exit 1 when any route has mismatches of these causes
                          (leak, logic, unexplained, staleness, noise) or is not-ready
  --min-samples N         samples a route needs to be ready (default 200)
  --max-mismatch R        upper bound the mismatch rate must stay under (default 0.01)
  --route-threshold ID=R  --max-mismatch for one route (repeatable)
  --base-url URL          where copy-as-curl lines point (default http://localhost:3000)
  --stdout FORMAT         also print one format (md or json) to stdout`,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      db: { type: 'string' },
      route: { type: 'string', multiple: true },
      since: { type: 'string' },
      until: { type: 'string' },
      format: { type: 'string' },
      out: { type: 'string' },
      'fail-on': { type: 'string' },
      'min-samples': { type: 'string' },
      'max-mismatch': { type: 'string' },
      'route-threshold': { type: 'string', multiple: true },
      'base-url': { type: 'string' },
      stdout: { type: 'string' },
    })
    const now = Date.now()
    // A malformed value is bad usage (exit 2), with the coded message of what was expected.
    const { url, from, to, formats, failOn, stdout, policy, routePolicies } = usage(() => options(values, io.env, now))
    const pool = mysql.createPool({ uri: url, connectionLimit: 2, connectTimeout: 5000 })
    let report: ShadowReport
    try {
      const data = await loadShadowData(pool, { routes: values.route ?? [], from, to })
      report = buildShadowReport(data, {
        generatedAt: now,
        window: { from, to },
        policy,
        routePolicies,
        ...(values['base-url'] ? { baseUrl: values['base-url'] } : {}),
      })
    } finally {
      await pool.end()
    }

    const dir = resolve(values.out ?? 'reports')
    mkdirSync(dir, { recursive: true })
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
    const render: Record<Format, () => string> = {
      html: () => renderShadowHtml(report),
      md: () => renderShadowMarkdown(report),
      json: () => renderShadowJson(report),
    }
    for (const f of formats) {
      const file = join(dir, `shadow-${stamp}.${f}`)
      writeFileSync(file, render[f]())
      io.out(`wrote ${file}`)
    }
    if (stdout) io.out(render[stdout]())
    for (const r of report.routes) io.out(`${r.route}: ${r.samples} samples, ${r.verdict.ready ? 'ready' : 'not ready'}`)
    if (report.routes.length === 0) io.out('no shadow samples in the window')
    const tripped = failures(report, failOn)
    for (const t of tripped) io.err(`--fail-on: ${t}`)
    return tripped.length > 0 ? 1 : 0
  },
}
