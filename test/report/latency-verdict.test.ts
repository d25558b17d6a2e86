import { describe, expect, it } from 'vitest'
import { quantileInterval } from '../../src/report/latency-interval.js'
import { shadowVerdict } from '../../src/report/shadow-verdict.js'
import { seededRandom } from '../../src/demo/load.js'

// A seeded PRNG, so each run draws the same latencies.
const prng = seededRandom

/** Latencies of one handler: about 20 ms with a long tail (log-normal). */
function latencies(random: () => number, n: number, scale = 1): number[] {
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random())
    return scale * 20 * Math.exp(0.35 * z)
  })
}

const base = { mismatches: 0, logic: 0, leak: 0, controlP95: null, candidateP95: null, cachedSamples: 1000 }

describe('latency in the readiness verdict', () => {
  it('the same handler on both sides is never called slower on p95 noise: 200 runs of 300 samples each', () => {
    let flippedByFigures = 0
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed)
      const control = latencies(random, 300)
      const candidate = latencies(random, 300)
      const verdict = shadowVerdict({ ...base, samples: 300, controlLatencies: control, candidateLatencies: candidate })
      expect(verdict.checks.find((c) => c.name === 'latency')?.ok, `seed ${seed}`).toBe(true)
      // What comparing the two p95 figures alone (the old rule) said about the same data.
      const p95 = (v: number[]): number => quantileInterval(v, 0.95)!.value
      if (p95(candidate) > p95(control) * 1.1) flippedByFigures++
    }
    // The old rule called some of these identical pairs "not ready" (13 of the 200 with these seeds).
    expect(flippedByFigures).toBeGreaterThan(5)
  })

  it('a candidate twice as slow is called slower, with both intervals in the detail', () => {
    const random = prng(7)
    const verdict = shadowVerdict({ ...base, samples: 300, controlLatencies: latencies(random, 300), candidateLatencies: latencies(random, 300, 2) })
    const latency = verdict.checks.find((c) => c.name === 'latency')!
    expect(latency.ok).toBe(false)
    expect(latency.detail).toMatch(/^candidate p95 [\d.]+ms \([\d.]+ms-[\d.]+ms\) vs control p95 [\d.]+ms \([\d.]+ms-[\d.]+ms\), 95.00% intervals: slower beyond 10.00%/)
    expect(verdict.ready).toBe(false)
  })

  it('judges nothing below the minimum sample: the check fails and says how many are needed', () => {
    const random = prng(3)
    const input = { ...base, samples: 50, controlLatencies: latencies(random, 50), candidateLatencies: latencies(random, 50) }
    expect(shadowVerdict(input).checks.find((c) => c.name === 'latency')).toMatchObject({ ok: false, detail: '50 samples with both latencies, 100 needed to compare p95s' })
    // A lower minSamples lowers it too, unless minLatencySamples says otherwise.
    expect(shadowVerdict(input, { minSamples: 10 }).checks.find((c) => c.name === 'latency')?.ok).toBe(true)
    expect(shadowVerdict(input, { minSamples: 10, minLatencySamples: 60 }).checks.find((c) => c.name === 'latency')?.detail).toBe('50 samples with both latencies, 60 needed to compare p95s')
  })
})

describe('quantileInterval', () => {
  it('brackets the quantile by order statistics and narrows as the sample grows', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1)
    const i = quantileInterval(values, 0.95)!
    expect(i.value).toBe(950)
    expect(i.lower).toBeLessThan(950)
    expect(i.upper).toBeGreaterThan(950)
    const small = quantileInterval(values.slice(0, 100).map((v) => v * 10), 0.95)!
    expect((small.upper - small.lower) / small.value).toBeGreaterThan((i.upper - i.lower) / i.value)
    expect(quantileInterval([], 0.95)).toBeNull()
    expect(quantileInterval([5], 0.95)).toEqual({ value: 5, lower: 5, upper: 5 })
  })
})
