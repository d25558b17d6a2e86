import { wilson } from '../shadow/wilson.js'
import { quantileInterval, type QuantileInterval } from './latency-interval.js'

/** What a route must show before it may leave shadow mode. */
export interface ReadinessPolicy {
  /**
   * Compared samples needed (errors don't count).
   * @default 200
   */
  minSamples?: number
  /**
   * The upper confidence bound of the mismatch rate (noise excluded) must be under this.
   * @default 0.01
   */
  maxMismatchRate?: number
  /**
   * Confidence of the bound.
   * @default 0.95
   */
  confidence?: number
  /**
   * The candidate's p95 may be this much slower than the control's (0.1 = 10 %).
   * @default 0.1
   */
  latencyTolerance?: number
  /**
   * Compared samples whose candidate was a cached page, needed before the
   * cached side counts as verified: samples compared against fresh renders
   * only check the page path's logic, never what the cache would serve (a
   * stale page, a page of another user).
   * @default 20
   */
  minCachedSamples?: number
  /**
   * Samples with a latency on both sides needed before the p95s are compared
   * (with the per-sample latencies given); fewer fail the latency check.
   * @default 100, or minSamples when that is lower
   */
  minLatencySamples?: number
}

export interface VerdictInput {
  /** Compared samples (match or mismatch). */
  samples: number
  /** Mismatches whose cause is not noise. */
  mismatches: number
  logic: number
  leak: number
  /** p95 latency of the control and of the candidate, ms (null when unknown). */
  controlP95: number | null
  candidateP95: number | null
  /** Compared samples whose candidate was a cached page (absent: not known, not checked). */
  cachedSamples?: number
  /**
   * Every compared sample's latency on each side, ms. When given, latency is
   * judged on the p95s' confidence intervals rather than on the two figures.
   */
  controlLatencies?: readonly number[]
  candidateLatencies?: readonly number[]
}

export type CheckName = 'samples' | 'mismatch' | 'logic' | 'leak' | 'latency' | 'cached'

export interface Verdict {
  ready: boolean
  checks: Array<{ name: CheckName; ok: boolean; detail: string }>
}

export const DEFAULT_POLICY: Readonly<Required<Omit<ReadinessPolicy, 'minLatencySamples'>>> = Object.freeze({
  minSamples: 200,
  maxMismatchRate: 0.01,
  confidence: 0.95,
  latencyTolerance: 0.1,
  minCachedSamples: 20,
})

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`

const ms = (x: number): string => `${x.toFixed(1)}ms`
const range = (i: QuantileInterval): string => `${ms(i.value)} (${ms(i.lower)}-${ms(i.upper)})`

/**
 * Is the candidate slower than the control beyond the tolerance? With the
 * per-sample latencies: only when the candidate's p95 interval lies wholly
 * above the control's, widened by the tolerance, so two runs of the same
 * handler (whose p95s differ by noise alone) are not told apart; below
 * `minLatencySamples` nothing is judged and the check fails. Without them, the
 * two p95 figures are compared as given.
 */
function latencyCheck(input: VerdictInput, p: typeof DEFAULT_POLICY & ReadinessPolicy): Verdict['checks'][number] {
  const { controlLatencies: a, candidateLatencies: b } = input
  if (a !== undefined && b !== undefined) {
    const n = Math.min(a.length, b.length)
    const needed = p.minLatencySamples ?? Math.min(100, p.minSamples)
    if (n < needed) return { name: 'latency', ok: false, detail: `${n} samples with both latencies, ${needed} needed to compare p95s` }
    const control = quantileInterval(a, 0.95, p.confidence)!
    const candidate = quantileInterval(b, 0.95, p.confidence)!
    const limit = control.upper * (1 + p.latencyTolerance)
    const slower = candidate.lower > limit
    const verdict = slower ? `slower beyond ${pct(p.latencyTolerance)} (lower bound over ${ms(limit)})` : `not shown slower beyond ${pct(p.latencyTolerance)}`
    return { name: 'latency', ok: !slower, detail: `candidate p95 ${range(candidate)} vs control p95 ${range(control)}, ${pct(p.confidence)} intervals: ${verdict}` }
  }
  if (input.controlP95 === null || input.candidateP95 === null) return { name: 'latency', ok: false, detail: 'no latency figures for both sides' }
  const limit = input.controlP95 * (1 + p.latencyTolerance)
  return {
    name: 'latency',
    ok: input.candidateP95 <= limit,
    detail: `candidate p95 ${input.candidateP95.toFixed(1)}ms vs control p95 ${input.controlP95.toFixed(1)}ms (limit ${limit.toFixed(1)}ms)`,
  }
}

/**
 * The readiness verdict for one route. Pure: the playbook gates call it with
 * the same figures the report shows. Every check is listed with why it passed
 * or failed; the route is ready only when all pass.
 */
export function shadowVerdict(input: VerdictInput, policy: ReadinessPolicy = {}): Verdict {
  const p = { ...DEFAULT_POLICY, ...policy }
  const bound = wilson(input.mismatches, input.samples, p.confidence).upper
  const checks: Verdict['checks'] = [
    { name: 'samples', ok: input.samples >= p.minSamples, detail: `${input.samples} compared samples, ${p.minSamples} needed` },
    {
      name: 'mismatch',
      ok: input.samples > 0 && bound < p.maxMismatchRate,
      detail: `mismatch rate ${pct(input.samples > 0 ? input.mismatches / input.samples : 0)}, upper ${pct(p.confidence)} bound ${pct(bound)} (must be under ${pct(p.maxMismatchRate)})`,
    },
    { name: 'logic', ok: input.logic === 0, detail: `${input.logic} logic mismatches` },
    { name: 'leak', ok: input.leak === 0, detail: `${input.leak} leaks` },
  ]
  if (input.cachedSamples !== undefined) {
    const verified = input.cachedSamples >= p.minCachedSamples
    checks.push({
      name: 'cached',
      ok: verified,
      detail: verified
        ? `${input.cachedSamples} samples compared a cached page`
        : `cached side not verified: ${input.cachedSamples} samples compared a cached page, ${p.minCachedSamples} needed (the others were compared with fresh renders, which can't show a stale or misdirected cached page)`,
    })
  }
  checks.push(latencyCheck(input, p))
  return { ready: checks.every((c) => c.ok), checks }
}
