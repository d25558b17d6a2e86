import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openMysqlPool } from '../../demo/services.js'
import { renderShadowHtml } from '../../report/shadow-html.js'
import { renderShadowJson, renderShadowMarkdown } from '../../report/shadow-markdown.js'
import { buildShadowReport, type ShadowReport } from '../../report/shadow-model.js'
import { loadShadowData } from '../../report/shadow-query.js'
import type { ReadinessPolicy } from '../../report/shadow-verdict.js'
import { parseTimeBound } from '../../report/shadow-window.js'
import { CAUSES, type Cause } from '../../shadow/classify.js'
import { MYSQL_URL_SETTING, mysqlUrlOption, parseOptions, type CliCommand, usage } from '../command.js'
import { decimal, httpUrl, integer, invalidOption, listOf, oneOf, outputDirectory, routeId } from '../option-values.js'

const FORMATS = ['html', 'md', 'json'] as const
type Format = (typeof FORMATS)[number]
const FAIL_ON = [...CAUSES, 'not-ready'] as const

const formats = listOf(oneOf(FORMATS))
const failOnList = listOf(oneOf(FAIL_ON))
const stdoutFormat = oneOf<Format>(['md', 'json'])
const rate = decimal({ min: 0, max: 1, inclusive: [false, false] })
const sampleCount = integer({ min: 1 })

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
  route?: string[] | undefined
  since?: string | undefined
  until?: string | undefined
  format?: string | undefined
  out?: string | undefined
  'fail-on'?: string | undefined
  'min-samples'?: string | undefined
  'max-mismatch'?: string | undefined
  'route-threshold'?: string[] | undefined
  'base-url'?: string | undefined
  stdout?: string | undefined
}

function routeThresholds(values: readonly string[]): Record<string, ReadinessPolicy> {
  const routePolicies: Record<string, ReadinessPolicy> = {}
  for (const t of values) {
    const eq = t.lastIndexOf('=')
    if (eq <= 0) invalidOption('--route-threshold', 'ID=RATE', t)
    routePolicies[routeId('--route-threshold', t.slice(0, eq))] = { maxMismatchRate: rate('--route-threshold', t.slice(eq + 1)) }
  }
  return routePolicies
}

/** Every option read and checked; a malformed one is bad usage (exit 2) naming it. */
function options(values: ReportArgs, env: NodeJS.ProcessEnv, now: number) {
  const url = mysqlUrlOption(values.db, env)
  const from = usage(() => parseTimeBound('--since', values.since ?? '7d', now))
  const to = values.until === undefined ? null : usage(() => parseTimeBound('--until', values.until as string, now))
  const policy: ReadinessPolicy = {}
  if (values['min-samples'] !== undefined) policy.minSamples = sampleCount('--min-samples', values['min-samples'])
  if (values['max-mismatch'] !== undefined) policy.maxMismatchRate = rate('--max-mismatch', values['max-mismatch'])
  return {
    url, from, to, policy,
    routes: (values.route ?? []).map((r) => routeId('--route', r)),
    formats: values.format === undefined ? [...FORMATS] : formats('--format', values.format),
    failOn: values['fail-on'] === undefined ? [] : failOnList('--fail-on', values['fail-on']),
    stdout: values.stdout === undefined ? undefined : stdoutFormat('--stdout', values.stdout),
    routePolicies: routeThresholds(values['route-threshold'] ?? []),
    baseUrl: values['base-url'] === undefined ? undefined : httpUrl('--base-url', values['base-url']),
    outDir: outputDirectory('--out', values.out ?? 'reports'),
  }
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
    const o = options(values, io.env, now)
    const pool = await openMysqlPool(o.url, MYSQL_URL_SETTING)
    let report: ShadowReport
    try {
      const data = await loadShadowData(pool, { routes: o.routes, from: o.from, to: o.to })
      report = buildShadowReport(data, {
        generatedAt: now,
        window: { from: o.from, to: o.to },
        policy: o.policy,
        routePolicies: o.routePolicies,
        ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}),
      })
    } finally {
      await pool.end()
    }

    const dir = o.outDir
    mkdirSync(dir, { recursive: true })
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-')
    const render: Record<Format, () => string> = {
      html: () => renderShadowHtml(report),
      md: () => renderShadowMarkdown(report),
      json: () => renderShadowJson(report),
    }
    for (const f of o.formats) {
      const file = join(dir, `shadow-${stamp}.${f}`)
      writeFileSync(file, render[f]())
      io.out(`wrote ${file}`)
    }
    if (o.stdout) io.out(render[o.stdout]())
    for (const r of report.routes) io.out(`${r.route}: ${r.samples} samples, ${r.verdict.ready ? 'ready' : 'not ready'}`)
    if (report.routes.length === 0) io.out('no shadow samples in the window')
    const tripped = failures(report, o.failOn)
    for (const t of tripped) io.err(`--fail-on: ${t}`)
    return tripped.length > 0 ? 1 : 0
  },
}
