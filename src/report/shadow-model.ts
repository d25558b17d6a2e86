import { RENDER_HEADERS } from '../headers.js'
import { CAUSES, type Cause } from '../shadow/classify.js'
import { wilson, type Interval } from '../shadow/wilson.js'
import { type ReadinessPolicy, shadowVerdict, type Verdict } from './shadow-verdict.js'

/** Identifies the JSON report format; bumped on any incompatible change. */
export const SHADOW_REPORT_SCHEMA = 'cutover.shadow-report/v1'

/** One stored sample as the report reads it. */
export interface SampleRow {
  route: string
  outcome: 'match' | 'mismatch' | 'error'
  cause: Cause | null
  pageAgeMs: number | null
  controlMs: number
  candidateMs: number | null
  controlDbCalls: number | null
  candidateDbCalls: number | null
  /** Refresh jobs enqueued (each a DB read owed); null where not metered. Absent: none known. */
  controlRefreshJobs?: number | null
  candidateRefreshJobs?: number | null
  /** The route's configured shadow rate and the rate in effect (lowered by the CPU budget) when the sample was drawn; null or absent: not known. */
  sampleRate?: number | null
  effectiveRate?: number | null
  /** Some path differed by staleness, whatever the sample's most serious cause. Absent: only `cause` is known. */
  stale?: boolean
}

/** Differences aggregated by route, path shape and cause (ignored ones carry their reason). */
export interface DiffCountRow {
  route: string
  shape: string
  cause: Cause | null
  ignoredReason: string | null
  /** Samples with a difference there. */
  samples: number
}

export interface ExampleRow {
  route: string
  shape: string
  cause: Cause | null
  at: number
  method: string
  url: string
  headers: Record<string, string>
  patch: string | null
  pageAgeMs: number | null
}

export interface PathNode {
  /** This node's segment (`items`, `*`, `@header`). */
  name: string
  /** The shape up to here. */
  path: string
  /**
   * Per cause (`ignored` for rule-explained ones): at a leaf, the samples with
   * a difference there; above, the sum over the paths below (a sample that
   * differs at two of them counts twice).
   */
  counts: Partial<Record<Cause | 'ignored', number>>
  /** Reasons of the rules that explain differences here. */
  ignoredReasons: string[]
  children: PathNode[]
}

export interface Percentiles {
  p50: number | null
  p95: number | null
  p99: number | null
}

export interface ShadowExample extends ExampleRow {
  /** A command that replays the request against `baseUrl` (secret headers left out). */
  curl: string
}

export interface RouteReport {
  route: string
  /** Compared samples (match or mismatch). */
  samples: number
  errors: number
  /** Samples equal after the route's rules. */
  matches: number
  /** Match rate counting noise-only samples as matches, with its interval. */
  matchRate: Interval
  mismatches: Record<Cause, number>
  paths: PathNode[]
  examples: ShadowExample[]
  latency: { control: Percentiles; candidate: Percentiles }
  /** Inline DB queries plus the refresh reads the request's queued jobs owe, as the amplification meter counts them. */
  dbCallsPerRequest: { control: number | null; candidate: number | null }
  /** The queued share of it: refresh jobs enqueued per request. */
  refreshJobsPerRequest: { control: number | null; candidate: number | null }
  /** Cached page age of the samples with a staleness difference (even where a worse cause ranks first), ms. */
  stalePageAge: { p50: number | null; max: number | null }
  /**
   * The sample rate over the window, from the samples that carry theirs: as
   * the flag set it, and achieved (lower while the shadows' CPU budget held
   * it down). Each sample stands for 1/effective-rate requests. Null: no
   * sample says.
   */
  sampleRate: { configured: number; achieved: number } | null
  verdict: Verdict
}

/** The configured and achieved sample rates of samples that carry theirs (see RouteReport.sampleRate). */
export function sampleRateOf(rows: readonly SampleRow[]): RouteReport['sampleRate'] {
  let samples = 0
  let requests = 0
  let configured = 0
  for (const r of rows) {
    if (!r.effectiveRate || r.effectiveRate <= 0 || r.sampleRate === null || r.sampleRate === undefined) continue
    samples++
    requests += 1 / r.effectiveRate
    configured += r.sampleRate / r.effectiveRate
  }
  return samples === 0 ? null : { configured: configured / requests, achieved: samples / requests }
}

export interface ShadowReport {
  schema: typeof SHADOW_REPORT_SCHEMA
  generatedAt: string
  window: { from: string | null; to: string | null }
  confidence: number
  routes: RouteReport[]
}

export interface BuildOptions {
  generatedAt: number
  window: { from: number | null; to: number | null }
  /** Policy for every route, overridable per route. */
  policy?: ReadinessPolicy
  routePolicies?: Record<string, ReadinessPolicy>
  /** Where the copy-as-curl lines point. @default 'http://localhost:3000' */
  baseUrl?: string
  /** Examples shown per route. @default 10 */
  examplesPerRoute?: number
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i] ?? null
}

function percentiles(values: Array<number | null>): Percentiles {
  const s = values.filter((v): v is number => v !== null).sort((a, b) => a - b)
  return { p50: percentile(s, 0.5), p95: percentile(s, 0.95), p99: percentile(s, 0.99) }
}

/** A side's DB calls: inline queries plus one read per refresh job it queued. */
function owed(queries: number | null, jobs: number | null | undefined): number | null {
  return queries === null ? null : queries + (jobs ?? 0)
}

function mean(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null)
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`

// Left out of a replayable curl command: framing and cutover's own render headers.
const NOT_REPLAYED = new Set(['host', 'connection', 'content-length', ...RENDER_HEADERS])

/** A curl command for a stored request; redacted and hop-by-hop headers are left out. */
export function curlFor(baseUrl: string, e: Pick<ExampleRow, 'method' | 'url' | 'headers'>): string {
  const parts = ['curl', '-sS']
  if (e.method !== 'GET') parts.push('-X', e.method)
  parts.push(quote(baseUrl.replace(/\/$/, '') + e.url))
  for (const [k, v] of Object.entries(e.headers).sort()) {
    if (v === '[redacted]' || NOT_REPLAYED.has(k)) continue
    parts.push('-H', quote(`${k}: ${v}`))
  }
  return parts.join(' ')
}

function splitShape(shape: string): string[] {
  if (shape.startsWith('@')) return shape.split('/')
  return shape === '' ? ['(root)'] : shape.slice(1).split('/')
}

/** Builds the tree of differing paths (by shape) with per-cause sample counts at every level. */
export function pathTree(rows: readonly DiffCountRow[]): PathNode[] {
  const root: PathNode = { name: '', path: '', counts: {}, ignoredReasons: [], children: [] }
  for (const r of rows) {
    const key = r.cause ?? 'ignored'
    let node = root
    const segs = splitShape(r.shape)
    segs.forEach((seg, i) => {
      let child = node.children.find((c) => c.name === seg)
      if (!child) {
        const path = r.shape.startsWith('@') ? segs.slice(0, i + 1).join('/') : '/' + segs.slice(0, i + 1).join('/')
        child = { name: seg, path, counts: {}, ignoredReasons: [], children: [] }
        node.children.push(child)
      }
      child.counts[key] = (child.counts[key] ?? 0) + r.samples
      if (i === segs.length - 1 && r.ignoredReason && !child.ignoredReasons.includes(r.ignoredReason)) child.ignoredReasons.push(r.ignoredReason)
      node = child
    })
  }
  const sort = (nodes: PathNode[]): PathNode[] => {
    const total = (n: PathNode): number => Object.values(n.counts).reduce((a, b) => a + b, 0)
    nodes.sort((a, b) => total(b) - total(a) || a.name.localeCompare(b.name))
    for (const n of nodes) sort(n.children)
    return nodes
  }
  return sort(root.children)
}

type ReportData = { samples: readonly SampleRow[]; diffs: readonly DiffCountRow[]; examples: readonly ExampleRow[] }

/** One route's figures and verdict from stored rows (rows of other routes are ignored). Pure. */
export function buildRouteReport(route: string, data: ReportData, options: Omit<BuildOptions, 'generatedAt' | 'window'>): RouteReport {
  const confidence = options.policy?.confidence ?? 0.95
  const baseUrl = options.baseUrl ?? 'http://localhost:3000'
  const perRoute = options.examplesPerRoute ?? 10
  const rows = data.samples.filter((s) => s.route === route)
  const compared = rows.filter((s) => s.outcome !== 'error')
  const mismatches = Object.fromEntries(CAUSES.map((c) => [c, 0])) as Record<Cause, number>
  for (const s of compared) if (s.outcome === 'mismatch' && s.cause) mismatches[s.cause]++
  const real = compared.filter((s) => s.outcome === 'mismatch' && s.cause !== 'noise').length
  const latency = { control: percentiles(compared.map((s) => s.controlMs)), candidate: percentiles(compared.map((s) => s.candidateMs)) }
  const policy = { ...options.policy, ...options.routePolicies?.[route] }
  const severity = (c: Cause | null): number => (c === null ? CAUSES.length : CAUSES.indexOf(c))
  // One example per path shape first (most serious, most recent), then more of the same shapes.
  const ordered = data.examples.filter((e) => e.route === route).sort((a, b) => severity(a.cause) - severity(b.cause) || b.at - a.at)
  const shapes = new Set<string>()
  const firsts: ExampleRow[] = []
  const others: ExampleRow[] = []
  for (const e of ordered) {
    if (shapes.has(e.shape)) {
      others.push(e)
    } else {
      shapes.add(e.shape)
      firsts.push(e)
    }
  }
  const examples = [...firsts, ...others]
    .slice(0, perRoute)
    .map((e) => ({ ...e, curl: curlFor(baseUrl, e) }))
  const stale = compared.filter((s) => s.stale === true || s.cause === 'staleness').map((s) => s.pageAgeMs).filter((v): v is number => v !== null).sort((a, b) => a - b)
  return {
    route,
    samples: compared.length,
    errors: rows.length - compared.length,
    matches: compared.filter((s) => s.outcome === 'match').length,
    matchRate: wilson(compared.length - real, compared.length, confidence),
    mismatches,
    paths: pathTree(data.diffs.filter((d) => d.route === route)),
    examples,
    latency,
    dbCallsPerRequest: {
      control: mean(compared.map((s) => owed(s.controlDbCalls, s.controlRefreshJobs))),
      candidate: mean(compared.map((s) => owed(s.candidateDbCalls, s.candidateRefreshJobs))),
    },
    refreshJobsPerRequest: { control: mean(compared.map((s) => s.controlRefreshJobs ?? null)), candidate: mean(compared.map((s) => s.candidateRefreshJobs ?? null)) },
    stalePageAge: { p50: percentile(stale, 0.5), max: stale.at(-1) ?? null },
    sampleRate: sampleRateOf(rows),
    verdict: shadowVerdict(
      {
        samples: compared.length,
        mismatches: real,
        logic: mismatches.logic,
        leak: mismatches.leak,
        controlP95: latency.control.p95,
        candidateP95: latency.candidate.p95,
        // A sample read a cached page exactly when it has the page's age.
        cachedSamples: compared.filter((s) => s.pageAgeMs !== null).length,
        controlLatencies: compared.filter((s) => s.candidateMs !== null).map((s) => s.controlMs),
        candidateLatencies: compared.map((s) => s.candidateMs).filter((v): v is number => v !== null),
      },
      policy,
    ),
  }
}

/** The whole report from stored rows: one entry per route with samples. Pure. */
export function buildShadowReport(data: ReportData, options: BuildOptions): ShadowReport {
  const routes = [...new Set(data.samples.map((s) => s.route))].sort()
  return {
    schema: SHADOW_REPORT_SCHEMA,
    generatedAt: new Date(options.generatedAt).toISOString(),
    window: {
      from: options.window.from === null ? null : new Date(options.window.from).toISOString(),
      to: options.window.to === null ? null : new Date(options.window.to).toISOString(),
    },
    confidence: options.policy?.confidence ?? 0.95,
    routes: routes.map((route) => buildRouteReport(route, data, options)),
  }
}
