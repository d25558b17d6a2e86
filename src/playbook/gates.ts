// Gate evaluation: a pure function of the readings. A gate passes, fails, or
// holds; a numeric gate below its minimum sample always holds, so thin
// traffic can neither promote nor roll back a route.

import type { Gate } from './model.js'

/** One path's traffic over the stage's window, from the meter. */
export interface PathFigures {
  requests: number
  /** 5xx responses. */
  errors: number
  /** Inline DB calls made while serving. */
  dbCalls: number
  /** Refresh jobs enqueued (each one DB read owed). */
  refreshJobs: number
  p99Ms: number | null
  /**
   * Where the true p99 lies, at 95% confidence one-sided each way, given how
   * many requests the histogram holds: a p99 of 200 requests is their 2nd
   * slowest, and says less than one of 2,000. Absent: only the estimate is known.
   */
  p99Bounds?: { lowMs: number | null; highMs: number | null }
}

/** The quantiles bounding a p99 estimated from `n` samples (normal approximation to the binomial count of samples below it, z = 1.645). */
export function p99Quantiles(n: number): { low: number; high: number } {
  const half = 1.645 * Math.sqrt((0.99 * 0.01) / Math.max(1, n))
  return { low: Math.max(0.5, 0.99 - half), high: Math.min(1, 0.99 + half) }
}

/** Shadow samples over the stage's window, from the shadow tables. */
export interface ShadowFigures {
  /** Samples compared (match or mismatch; errors excluded). */
  compared: number
  /** Compared samples that matched, counting noise-only mismatches as matches (as the report does). */
  matches: number
  logic: number
  leaks: number
  /** Samples that could not be compared. */
  errors: number
}

export interface RouteReadings {
  shadow?: ShadowFigures
  page?: PathFigures
  legacy?: PathFigures
  /** The legacy path over the route's previous stage, for stages where every request takes the page path. */
  baseline?: PathFigures
}

export interface QueueReading {
  /** Jobs waiting. */
  depth: number
  /** Jobs claimed and not yet done. */
  inFlight: number
}

export interface GateInput {
  route?: RouteReadings | undefined
  queue?: QueueReading | undefined
  /** Whether the stage is approved (manual gate). */
  approved: boolean
  /** Consecutive earlier readings at or below a queue-depth gate's max. */
  streak: number
  /** Whether the stage sends every request to the page path (its legacy baseline is the stage before). */
  allPage: boolean
}

export interface GateResult {
  gate: Gate['kind']
  verdict: 'pass' | 'hold' | 'fail'
  figures: Record<string, number | null>
  detail: string
  /** For queueDepth: the streak after this reading. */
  streak?: number
}

type Check = { verdict: GateResult['verdict']; detail: string }

const pct = (x: number): string => `${(x * 100).toFixed(2)}%`
const num = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(2))

function combine(gate: Gate['kind'], figures: GateResult['figures'], checks: Check[]): GateResult {
  const verdict = checks.some((c) => c.verdict === 'fail') ? 'fail' : checks.some((c) => c.verdict === 'hold') ? 'hold' : 'pass'
  const detail = checks.filter((c) => c.verdict === verdict).map((c) => c.detail).join('; ')
  return { gate, verdict, figures, detail }
}

function thin(what: string, have: number, need: number): Check {
  return { verdict: 'hold', detail: `${have} of ${need} ${what} needed` }
}

function pathOf(r: RouteReadings | undefined, path: 'page' | 'legacy' | 'all'): PathFigures | undefined {
  if (!r) return undefined
  if (path !== 'all') return r[path]
  const a = r.page
  const b = r.legacy
  if (!a || !b) return a ?? b
  return { requests: a.requests + b.requests, errors: a.errors + b.errors, dbCalls: a.dbCalls + b.dbCalls, refreshJobs: a.refreshJobs + b.refreshJobs, p99Ms: null }
}

const baselineOf = (input: GateInput): PathFigures | undefined => (input.allPage ? input.route?.baseline : input.route?.legacy)

/** Checks of a gate that compares the page path with the legacy path (`base` null: not asked for). */
function relative(input: GateInput, minSamples: number, compare: (base: PathFigures) => Check): Check {
  const base = baselineOf(input)
  const where = input.allPage ? 'legacy requests in the stage before' : 'legacy requests'
  if (!base || base.requests < minSamples) return thin(where, base?.requests ?? 0, minSamples)
  return compare(base)
}

function errorRate(g: Extract<Gate, { kind: 'errorRate' }>, input: GateInput): GateResult {
  const p = pathOf(input.route, g.path)
  const rate = p && p.requests > 0 ? p.errors / p.requests : null
  const base = baselineOf(input)
  const baseRate = base && base.requests > 0 ? base.errors / base.requests : null
  const figures = { requests: p?.requests ?? 0, errors: p?.errors ?? 0, rate, baselineRequests: base?.requests ?? null, baselineRate: baseRate }
  if (!p || p.requests < g.minSamples || rate === null) return combine('errorRate', figures, [thin(`${g.path} requests`, p?.requests ?? 0, g.minSamples)])
  const checks: Check[] = []
  if (g.max !== undefined) checks.push({ verdict: rate > g.max ? 'fail' : 'pass', detail: `${g.path} error rate ${pct(rate)} (at most ${pct(g.max)})` })
  if (g.maxIncrease !== undefined) {
    const limit = g.maxIncrease
    checks.push(relative(input, g.minSamples, (b) => {
      const inc = rate - b.errors / b.requests
      return { verdict: inc > limit ? 'fail' : 'pass', detail: `page error rate ${pct(rate)} vs legacy ${pct(b.errors / b.requests)}: +${pct(Math.max(0, inc))} (at most +${pct(limit)})` }
    }))
  }
  return combine('errorRate', figures, checks)
}

function p99(g: Extract<Gate, { kind: 'p99' }>, input: GateInput): GateResult {
  const p = pathOf(input.route, g.path)
  const base = baselineOf(input)
  const figures = { requests: p?.requests ?? 0, p99Ms: p?.p99Ms ?? null, baselineRequests: base?.requests ?? null, baselineP99Ms: base?.p99Ms ?? null }
  const mine = p?.p99Ms ?? null
  if (!p || p.requests < g.minSamples || mine === null) return combine('p99', figures, [thin(`${g.path} requests`, p?.requests ?? 0, g.minSamples)])
  const checks: Check[] = []
  // A gate fails on what the samples establish: the lowest the path's p99 can be (at 95%) over the limit.
  const low = p?.p99Bounds?.lowMs ?? mine
  const lowText = low < mine ? `, at least ${num(low)}ms at 95% confidence over ${p.requests} requests` : ''
  if (g.maxMs !== undefined) checks.push({ verdict: low > g.maxMs ? 'fail' : 'pass', detail: `${g.path} p99 ${num(mine)}ms${lowText} (at most ${num(g.maxMs)}ms)` })
  if (g.maxRatio !== undefined) {
    const limit = g.maxRatio
    checks.push(relative(input, g.minSamples, (b) => {
      if (b.p99Ms === null || b.p99Ms <= 0) return { verdict: 'hold', detail: 'no legacy p99 to compare with' }
      const ratio = mine / b.p99Ms
      const grace = g.graceMs ?? 0
      // And the highest the legacy p99 can be: both are estimates, the legacy one often of ten times the requests.
      const high = Math.max(b.p99Ms, b.p99Bounds?.highMs ?? b.p99Ms)
      const highText = high > b.p99Ms ? ` (at most ${num(high)}ms at 95%)` : ''
      // Whichever allows more: at tens of milliseconds a ratio alone fails on scheduling noise.
      const allowed = Math.max(high * limit, high + grace)
      const rule = grace > 0 ? `at most x${limit} or +${num(grace)}ms` : `at most x${limit}`
      return { verdict: low > allowed ? 'fail' : 'pass', detail: `page p99 ${num(mine)}ms${lowText} vs legacy ${num(b.p99Ms)}ms${highText}: x${ratio.toFixed(2)} (${rule})` }
    }))
  }
  return combine('p99', figures, checks)
}

const perRequest = (p: PathFigures): number => (p.dbCalls + p.refreshJobs) / p.requests

function dbCalls(g: Extract<Gate, { kind: 'dbCallsPerRequest' }>, input: GateInput): GateResult {
  const p = pathOf(input.route, g.path)
  const value = p && p.requests > 0 ? perRequest(p) : null
  const base = baselineOf(input)
  const figures = { requests: p?.requests ?? 0, dbCallsPerRequest: value, baselineDbCallsPerRequest: base && base.requests > 0 ? perRequest(base) : null }
  if (!p || p.requests < g.minSamples || value === null) return combine('dbCallsPerRequest', figures, [thin(`${g.path} requests`, p?.requests ?? 0, g.minSamples)])
  const checks: Check[] = []
  if (g.max !== undefined) checks.push({ verdict: value > g.max ? 'fail' : 'pass', detail: `${g.path} DB calls per request ${num(value)} (at most ${num(g.max)})` })
  if (g.maxRatio !== undefined) {
    const limit = g.maxRatio
    checks.push(relative(input, g.minSamples, (b) => {
      const ratio = perRequest(b) === 0 ? (value === 0 ? 0 : Infinity) : value / perRequest(b)
      return { verdict: ratio > limit ? 'fail' : 'pass', detail: `page DB calls per request ${num(value)} vs legacy ${num(perRequest(b))}: x${ratio.toFixed(2)} (at most x${limit})` }
    }))
  }
  return combine('dbCallsPerRequest', figures, checks)
}

function shadowGate(g: Extract<Gate, { kind: 'shadowMatchRate' | 'logicMismatches' | 'leaks' }>, input: GateInput): GateResult {
  const s = input.route?.shadow
  const compared = s?.compared ?? 0
  const rate = s && s.compared > 0 ? s.matches / s.compared : null
  const figures = { compared, matches: s?.matches ?? 0, matchRate: rate, logic: s?.logic ?? 0, leaks: s?.leaks ?? 0, errors: s?.errors ?? 0 }
  if (!s || compared < g.minSamples || rate === null) return combine(g.kind, figures, [thin('compared shadow samples', compared, g.minSamples)])
  if (g.kind === 'shadowMatchRate') {
    return combine(g.kind, figures, [{ verdict: rate < g.min ? 'fail' : 'pass', detail: `match rate ${pct(rate)} over ${compared} samples (at least ${pct(g.min)})` }])
  }
  const found = g.kind === 'logicMismatches' ? s.logic : s.leaks
  const what = g.kind === 'logicMismatches' ? 'logic mismatches' : 'leaks'
  return combine(g.kind, figures, [{ verdict: found > g.max ? 'fail' : 'pass', detail: `${found} ${what} in ${compared} samples (at most ${g.max})` }])
}

function queueDepth(g: Extract<Gate, { kind: 'queueDepth' }>, input: GateInput): GateResult {
  const q = input.queue
  if (!q) return { gate: g.kind, verdict: 'hold', figures: { depth: null, inFlight: null }, detail: 'no queue reading', streak: 0 }
  const total = q.depth + q.inFlight
  const streak = total <= g.max ? input.streak + 1 : 0
  const figures = { depth: q.depth, inFlight: q.inFlight, streak }
  if (total > g.max) return { gate: g.kind, verdict: 'hold', figures, detail: `${total} jobs waiting or in flight (at most ${g.max})`, streak }
  const verdict = streak >= g.minSamples ? 'pass' : 'hold'
  return { gate: g.kind, verdict, figures, detail: `${total} jobs waiting or in flight, ${streak} of ${g.minSamples} readings at most ${g.max}`, streak }
}

/** Evaluates one gate against the readings. Pure. */
export function evaluateGate(gate: Gate, input: GateInput): GateResult {
  switch (gate.kind) {
    case 'errorRate':
      return errorRate(gate, input)
    case 'p99':
      return p99(gate, input)
    case 'dbCallsPerRequest':
      return dbCalls(gate, input)
    case 'shadowMatchRate':
    case 'logicMismatches':
    case 'leaks':
      return shadowGate(gate, input)
    case 'queueDepth':
      return queueDepth(gate, input)
    case 'manual':
      return { gate: 'manual', verdict: input.approved ? 'pass' : 'hold', figures: {}, detail: input.approved ? 'approved' : `waiting for \`cutover playbook approve\`${gate.prompt ? `: ${gate.prompt}` : ''}` }
  }
}
