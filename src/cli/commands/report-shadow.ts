import { parseTimeBound } from '../../duration.js'
import type { ShadowReport } from '../../report/shadow-model.js'
import type { ReadinessPolicy } from '../../report/shadow-verdict.js'
import { CAUSES, type Cause } from '../../shadow/classify.js'
import { defineCommand, opt } from '../define.js'
import { decimal, httpUrl, integer, invalidOption, listOf, oneOf, outputDirectory, routeId, timeText, type OptionReader } from '../option-values.js'
import { mysqlDatabaseOption } from '../shared-options.js'

const SHADOW_FORMATS = ['html', 'md', 'json'] as const
type ShadowFormat = (typeof SHADOW_FORMATS)[number]
const FAIL_ON = [...CAUSES, 'not-ready'] as const
const rate = decimal({ min: 0, max: 1, inclusive: [false, false] })

/** `ID=RATE`: a --max-mismatch for one route. */
const routeThreshold: OptionReader<[string, number]> = (label, text) => {
  const eq = text.lastIndexOf('=')
  if (eq <= 0) invalidOption(label, 'ID=RATE', text)
  return [routeId(label, text.slice(0, eq)), rate(label, text.slice(eq + 1))]
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

export const reportShadow = defineCommand({
  name: ['report', 'shadow'],
  summary: 'per-route shadow comparison report (HTML, Markdown, JSON) with readiness verdicts',
  description: `Reads the shadow tables and writes a report per route: samples, match rate
with its confidence interval, mismatches by cause, the tree of differing
paths, example diffs with a copy-as-curl line, latency and DB calls of both
sides, and the readiness verdict.`,
  options: {
    ...mysqlDatabaseOption,
    route: opt.list(routeId, 'only this route', { placeholder: 'ID' }),
    since: opt.withDefault(timeText, '7d', 'window start: a duration ago (30m, 24h, 7d) or an ISO 8601 time', { placeholder: 'T' }),
    until: opt.value(timeText, 'window end, the same way', { placeholder: 'T', defaultText: 'now' }),
    format: opt.withDefault(listOf(oneOf(SHADOW_FORMATS)), [...SHADOW_FORMATS], 'files to write, comma-separated: html, md, json', { placeholder: 'LIST', defaultText: 'html,md,json' }),
    out: opt.withDefault(outputDirectory, 'reports', 'where files go', { placeholder: 'DIR' }),
    'fail-on': opt.withDefault(listOf(oneOf(FAIL_ON)), [], `exit 1 when any route has mismatches of these causes (${CAUSES.join(', ')}) or is not-ready`, { placeholder: 'LIST', defaultText: 'none' }),
    'min-samples': opt.value(integer({ min: 1 }), 'samples a route needs to be ready', { placeholder: 'N', defaultText: '200' }),
    'max-mismatch': opt.value(rate, 'upper bound the mismatch rate must stay under, in (0, 1)', { placeholder: 'R', defaultText: '0.01' }),
    'route-threshold': opt.list(routeThreshold, '--max-mismatch for one route', { placeholder: 'ID=R' }),
    'base-url': opt.value(httpUrl, 'where copy-as-curl lines point', { placeholder: 'URL', defaultText: 'http://localhost:3000' }),
    stdout: opt.value(oneOf<ShadowFormat>(['md', 'json']), 'also print one format (md or json) to standard output', { placeholder: 'F' }),
  },
  exits: '1 the work failed or a --fail-on condition tripped',
  async run({ options: o }, io) {
    const now = Date.now()
    const from = parseTimeBound('--since', o.since, now)
    const to = o.until === undefined ? null : parseTimeBound('--until', o.until, now)
    if (to !== null && from >= to) invalidOption('--since', 'a time before --until', o.since)
    const policy: ReadinessPolicy = {
      ...(o['min-samples'] !== undefined ? { minSamples: o['min-samples'] } : {}),
      ...(o['max-mismatch'] !== undefined ? { maxMismatchRate: o['max-mismatch'] } : {}),
    }
    const routePolicies = Object.fromEntries(o['route-threshold'].map(([id, max]) => [id, { maxMismatchRate: max }]))
    const work = await import('../work/report.js')
    const report = await work.shadowReport({ url: o.db, routes: o.route, window: { from, to }, now, policy, routePolicies, baseUrl: o['base-url'] })
    for (const file of work.writeShadowReport(report, o.format, o.out, now)) io.out(`wrote ${file}`)
    if (o.stdout) io.out(work.renderShadow[o.stdout](report))
    for (const r of report.routes) io.out(`${r.route}: ${r.samples} samples, ${r.verdict.ready ? 'ready' : 'not ready'}`)
    if (report.routes.length === 0) io.out('no shadow samples in the window')
    const tripped = failures(report, o['fail-on'])
    for (const t of tripped) io.err(`--fail-on: ${t}`)
    return tripped.length > 0 ? 1 : 0
  },
})
