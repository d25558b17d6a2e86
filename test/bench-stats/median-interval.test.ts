import { describe, expect, it } from 'vitest'
import { medianInterval } from '../bench/stats.js'

const ranks = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1)

describe('medianInterval (the benchmarks\' interval for a median)', () => {
  it('takes the order statistics of the binomial table at 95 %', () => {
    // Ranks from the usual sign-test table: n = 6 → 1..6, 9 → 2..8, 15 → 4..12, 30 → 10..21.
    expect(medianInterval(ranks(6))).toEqual([1, 6])
    expect(medianInterval(ranks(9))).toEqual([2, 8])
    expect(medianInterval(ranks(15))).toEqual([4, 12])
    expect(medianInterval(ranks(30))).toEqual([10, 21])
  })

  it('has none with too few values, and narrows for a lower confidence', () => {
    expect(medianInterval(ranks(5))).toBeUndefined()
    expect(medianInterval([])).toBeUndefined()
    expect(medianInterval(ranks(9), 0.8)).toEqual([3, 7])
  })

  it('covers the true median about as often as it claims', () => {
    let seed = 7
    const random = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    let covered = 0
    const trials = 2000
    for (let t = 0; t < trials; t++) {
      const xs = Array.from({ length: 15 }, random).sort((a, b) => a - b)
      const [lo, hi] = medianInterval(xs)!
      if (lo <= 0.5 && 0.5 <= hi) covered++
    }
    // Exact coverage at n = 15 is 96.5 %.
    expect(covered / trials).toBeGreaterThan(0.94)
    expect(covered / trials).toBeLessThan(0.99)
  })
})
