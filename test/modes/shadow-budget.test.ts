import type { EventLoopUtilization } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { ShadowBudget } from '../../src/modes/shadow-budget.js'

/**
 * A budget on a simulated event loop: each request costs `requestMs` of loop
 * time, each shadow started `shadowMs`, and the windows end when the test
 * says (tick), so the budget's arithmetic is checked without timing.
 */
function simulated(o: { maxLoopShare: number; requestMs: number; shadowMs: number; quietEvery?: number }) {
  let active = 0
  const elu = (last?: EventLoopUtilization): EventLoopUtilization => {
    const now = { idle: 0, active, utilization: 0 }
    return last ? { idle: 0, active: active - last.active, utilization: 0 } : now
  }
  const timers: Array<() => void> = []
  const budget = new ShadowBudget({
    maxLoopShare: o.maxLoopShare,
    quietEvery: o.quietEvery ?? 10,
    elu,
    setInterval: (fn) => (timers.push(fn), {}),
    clearInterval: () => timers.splice(0),
  })
  let draws = 0
  /** One window of `requests` requests on a route shadowed at `rate`; returns the shadows started. */
  const window = (requests: number, rate: number): number => {
    let shadows = 0
    for (let i = 0; i < requests; i++) {
      budget.request()
      active += o.requestMs
      // Evenly spread draws, so the count is exact: the i-th request draws (i + 0.5) / requests.
      const u = ((draws++ * 0.618034) % 1)
      if (u < rate && budget.admit(u, rate) > 0) {
        budget.started()
        active += o.shadowMs
        shadows++
      }
    }
    budget.tick()
    return shadows
  }
  return { budget, window, timers }
}

describe('ShadowBudget', () => {
  it('leaves the rate alone when shadows cost less than the budget', () => {
    // 1000 requests of 0.2 ms, 10% shadowed at 0.05 ms each: shadows add 2.5% of the loop time, under a 5% budget.
    const s = simulated({ maxLoopShare: 0.05, requestMs: 0.2, shadowMs: 0.05 })
    for (let w = 0; w < 30; w++) s.window(1000, 0.1)
    const r = s.budget.reading()
    expect(r.factor).toBe(1)
    expect(r.requestMs).toBeCloseTo(0.2, 5)
    expect(r.shadowMs).toBeCloseTo(0.05, 5)
    expect(r.demandShare).toBeCloseTo(0.025, 2)
  })

  it('lowers the effective rate until shadows add no more than the budget', () => {
    // A shadow costs as much as the request (the trivial-route case): 10% would add 10%; a 5% budget allows half of it.
    const s = simulated({ maxLoopShare: 0.05, requestMs: 0.2, shadowMs: 0.2 })
    let late = 0
    for (let w = 0; w < 60; w++) {
      const shadows = s.window(1000, 0.1)
      if (w >= 40 && !s.budget.reading().quiet && w % 10 !== 1 && w % 10 !== 2) late = shadows
    }
    const r = s.budget.reading()
    expect(r.factor).toBeGreaterThan(0.45)
    expect(r.factor).toBeLessThan(0.55)
    expect(r.shadowMs).toBeCloseTo(0.2, 2)
    // About 50 of the 100 shadows the configured rate asks for.
    expect(late).toBeGreaterThan(40)
    expect(late).toBeLessThan(60)
  })

  it('starts no shadows in its quiet windows, and measures the loop time per request there', () => {
    const s = simulated({ maxLoopShare: 0.05, requestMs: 0.3, shadowMs: 0.1, quietEvery: 5 })
    const started = Array.from({ length: 10 }, () => s.window(500, 0.1))
    // Windows 1, 2, 6 and 7 of every 5 are quiet.
    expect(started.map((n) => n > 0)).toEqual([true, false, false, true, true, true, false, false, true, true])
    expect(s.budget.reading().requestMs).toBeCloseTo(0.3, 5)
  })

  it('never drops below a floor, so the cost stays measured and the rate can recover', () => {
    const s = simulated({ maxLoopShare: 0.01, requestMs: 0.1, shadowMs: 50 })
    for (let w = 0; w < 40; w++) s.window(1000, 1)
    expect(s.budget.reading().factor).toBe(0.02)
  })

  it('stops its clock when no request is sampled for a few windows', () => {
    const s = simulated({ maxLoopShare: 0.05, requestMs: 0.2, shadowMs: 0.05, quietEvery: 100 })
    s.window(100, 0.5)
    expect(s.timers).toHaveLength(1)
    // Windows 1 and 2 are quiet (they count for nothing); windows 3 to 5 are the idle ones.
    for (let w = 0; w < 4; w++) s.window(100, 0)
    expect(s.timers).toHaveLength(1)
    s.window(100, 0)
    expect(s.timers).toHaveLength(0)
  })

  it('with an infinite share is off: every draw in at the configured rate is in', () => {
    const budget = new ShadowBudget({ maxLoopShare: Infinity })
    expect(budget.enabled).toBe(false)
    expect(budget.admit(0.09, 0.1)).toBe(0.1)
    expect(budget.reading().factor).toBe(1)
  })
})
