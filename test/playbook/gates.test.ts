import { describe, expect, it } from 'vitest'
import { evaluateGate, p99Quantiles, type GateInput, type PathFigures } from '../../src/playbook/gates.js'

const path = (over: Partial<PathFigures> = {}): PathFigures => ({ requests: 1000, errors: 0, dbCalls: 1000, refreshJobs: 0, p99Ms: 10, ...over })
const input = (over: Partial<GateInput> = {}): GateInput => ({ approved: false, streak: 0, allPage: false, ...over })
const verdict = (r: { verdict: string; detail: string }): string => `${r.verdict}: ${r.detail}`

describe('gates (pure)', () => {
  describe('minimum sample: below it a gate holds, whatever the figures', () => {
    it.each([
      [{ kind: 'errorRate', path: 'page', max: 0.01, minSamples: 200 } as const, { route: { page: path({ requests: 199, errors: 199 }) } }, 'hold: 199 of 200 page requests needed'],
      [{ kind: 'p99', path: 'page', maxMs: 5, minSamples: 200 } as const, { route: { page: path({ requests: 10, p99Ms: 9000 }) } }, 'hold: 10 of 200 page requests needed'],
      [{ kind: 'dbCallsPerRequest', path: 'all', max: 1, minSamples: 50 } as const, { route: { page: path({ requests: 20 }), legacy: path({ requests: 20, dbCalls: 2000 }) } }, 'hold: 40 of 50 all requests needed'],
      [{ kind: 'logicMismatches', max: 0, minSamples: 100 } as const, { route: { shadow: { compared: 99, matches: 50, logic: 49, leaks: 0, errors: 0 } } }, 'hold: 99 of 100 compared shadow samples needed'],
      [{ kind: 'shadowMatchRate', min: 0.99, minSamples: 100 } as const, { route: {} }, 'hold: 0 of 100 compared shadow samples needed'],
      [{ kind: 'errorRate', path: 'page', maxIncrease: 0.01, minSamples: 100 } as const, { route: { page: path(), legacy: path({ requests: 30 }) } }, 'hold: 30 of 100 legacy requests needed'],
    ])('%j', (gate, over, expected) => {
      expect(verdict(evaluateGate(gate, input(over)))).toBe(expected)
    })
  })

  it('error rate: absolute, and against the legacy path of the same window', () => {
    const gate = { kind: 'errorRate', path: 'page', max: 0.05, maxIncrease: 0.01, minSamples: 100 } as const
    expect(verdict(evaluateGate(gate, input({ route: { page: path({ errors: 20 }), legacy: path({ errors: 15 }) } })))).toBe(
      'pass: page error rate 2.00% (at most 5.00%); page error rate 2.00% vs legacy 1.50%: +0.50% (at most +1.00%)',
    )
    expect(verdict(evaluateGate(gate, input({ route: { page: path({ errors: 30 }), legacy: path({ errors: 15 }) } })))).toBe(
      'fail: page error rate 3.00% vs legacy 1.50%: +1.50% (at most +1.00%)',
    )
    // An absolute failure stands even while the comparison still waits for legacy samples.
    expect(evaluateGate(gate, input({ route: { page: path({ errors: 60 }), legacy: path({ requests: 5 }) } })).verdict).toBe('fail')
  })

  it('an all-page stage compares with the legacy path of the stage before', () => {
    const gate = { kind: 'p99', path: 'page', maxRatio: 1.5, minSamples: 100 } as const
    const route = { page: path({ p99Ms: 30 }), legacy: path({ requests: 0, p99Ms: null }), baseline: path({ p99Ms: 25 }) }
    expect(evaluateGate(gate, input({ route, allPage: true }))).toMatchObject({ verdict: 'pass', figures: { p99Ms: 30, baselineP99Ms: 25 } })
    expect(verdict(evaluateGate(gate, input({ route: { page: path({ p99Ms: 30 }) }, allPage: true })))).toBe('hold: 0 of 100 legacy requests in the stage before needed')
  })

  it('graceMs lets a page p99 within that many ms of the legacy p99 pass a ratio it exceeds, and no more', () => {
    const route = (page: number, legacy: number) => ({ page: path({ p99Ms: page }), legacy: path({ p99Ms: legacy }) })
    const strict = { kind: 'p99', path: 'page', maxRatio: 1.2, minSamples: 100 } as const
    const graced = { ...strict, graceMs: 50 } as const
    // Small latencies: 63 ms against 27 ms is x2.33 but only 36 ms more.
    expect(verdict(evaluateGate(strict, input({ route: route(63, 27) })))).toMatch(/^fail: .*x2\.33 \(at most x1\.2\)/)
    expect(verdict(evaluateGate(graced, input({ route: route(63, 27) })))).toMatch(/^pass: .*x2\.33 \(at most x1\.2 or \+50ms\)/)
    expect(evaluateGate(graced, input({ route: route(78, 27) })).verdict).toBe('fail')
    // Large latencies: the ratio allows more than the grace, and decides.
    expect(evaluateGate(graced, input({ route: route(1150, 1000) })).verdict).toBe('pass')
    expect(evaluateGate(graced, input({ route: route(1250, 1000) })).verdict).toBe('fail')
  })

  it('a p99 gate fails on what the samples establish: the page p99 lower bound over the limit from the legacy upper bound', () => {
    const gate = { kind: 'p99', path: 'page', maxRatio: 1.2, graceMs: 50, minSamples: 100 } as const
    const bounded = (p99Ms: number, lowMs: number, highMs: number, requests: number) => path({ requests, p99Ms, p99Bounds: { lowMs, highMs } })
    // 200 page requests: a p99 of 124 ms is their 2nd slowest; the 95% lower bound (their ~97.8th percentile) is 85 ms.
    const thin = { page: bounded(124, 85, 190, 200), legacy: bounded(43, 40, 47, 2000) }
    expect(verdict(evaluateGate(gate, input({ route: thin })))).toBe(
      'pass: page p99 124ms, at least 85ms at 95% confidence over 200 requests vs legacy 43ms (at most 47ms at 95%): x2.88 (at most x1.2 or +50ms)',
    )
    // The same p99 with a lower bound past legacy's upper bound + 50 ms: established, it fails.
    expect(evaluateGate(gate, input({ route: { ...thin, page: bounded(124, 98, 190, 200) } })).verdict).toBe('fail')
    // maxMs judges the lower bound as well.
    expect(evaluateGate({ kind: 'p99', path: 'page', maxMs: 100, minSamples: 100 }, input({ route: thin })).verdict).toBe('pass')
    expect(evaluateGate({ kind: 'p99', path: 'page', maxMs: 80, minSamples: 100 }, input({ route: thin })).verdict).toBe('fail')
  })

  it('p99 bounds narrow as the requests grow', () => {
    const few = p99Quantiles(200)
    const many = p99Quantiles(20_000)
    expect(few.low).toBeCloseTo(0.9784, 3)
    expect(few.high).toBeCloseTo(1, 3)
    expect(many.low).toBeGreaterThan(0.988)
    expect(many.high).toBeLessThan(0.992)
  })

  it('DB calls per request count one read per refresh job enqueued', () => {
    const gate = { kind: 'dbCallsPerRequest', path: 'page', max: 2, maxRatio: 0.1, minSamples: 100 } as const
    const r = evaluateGate(gate, input({ route: { page: path({ dbCalls: 500, refreshJobs: 500 }), legacy: path({ dbCalls: 1000, refreshJobs: 100_000 }) } }))
    expect(r).toMatchObject({ verdict: 'pass', figures: { dbCallsPerRequest: 1, baselineDbCallsPerRequest: 101 } })
    expect(evaluateGate(gate, input({ route: { page: path({ dbCalls: 3000 }), legacy: path({ dbCalls: 1000, refreshJobs: 100_000 }) } })).verdict).toBe('fail')
  })

  it('shadow gates: match rate counts noise as a match; logic mismatches and leaks count', () => {
    const shadow = { compared: 400, matches: 398, logic: 1, leaks: 1, errors: 7 }
    expect(verdict(evaluateGate({ kind: 'shadowMatchRate', min: 0.99, minSamples: 200 }, input({ route: { shadow } })))).toBe('pass: match rate 99.50% over 400 samples (at least 99.00%)')
    expect(verdict(evaluateGate({ kind: 'logicMismatches', max: 0, minSamples: 200 }, input({ route: { shadow } })))).toBe('fail: 1 logic mismatches in 400 samples (at most 0)')
    expect(verdict(evaluateGate({ kind: 'leaks', max: 1, minSamples: 200 }, input({ route: { shadow } })))).toBe('pass: 1 leaks in 400 samples (at most 1)')
  })

  it('queue depth holds while above max, passes after enough readings at or below it, never fails', () => {
    const gate = { kind: 'queueDepth', max: 0, minSamples: 3 } as const
    expect(evaluateGate(gate, input({ queue: { depth: 5, inFlight: 0 }, streak: 2 }))).toMatchObject({ verdict: 'hold', streak: 0 })
    expect(evaluateGate(gate, input({ queue: { depth: 0, inFlight: 1 }, streak: 2 }))).toMatchObject({ verdict: 'hold', streak: 0 })
    expect(evaluateGate(gate, input({ queue: { depth: 0, inFlight: 0 }, streak: 1 }))).toMatchObject({ verdict: 'hold', streak: 2 })
    expect(evaluateGate(gate, input({ queue: { depth: 0, inFlight: 0 }, streak: 2 }))).toMatchObject({ verdict: 'pass', streak: 3 })
    expect(evaluateGate(gate, input())).toMatchObject({ verdict: 'hold', detail: 'no queue reading' })
  })

  it('manual waits for approval', () => {
    expect(verdict(evaluateGate({ kind: 'manual', prompt: 'check the report' }, input()))).toBe('hold: waiting for `cutover playbook approve`: check the report')
    expect(evaluateGate({ kind: 'manual', prompt: undefined }, input({ approved: true })).verdict).toBe('pass')
  })
})
