import { describe, expect, it } from 'vitest'
import { inRollout } from '../../src/flags/sticky.js'
import { drawSample, sampled, secureRandom } from '../../src/modes/sampling.js'

const keysOf = (n: number, tag: string): string[] => Array.from({ length: n }, (_, i) => `${tag}-${i}`)

describe('sampled', () => {
  it('samples the configured share deterministically, independent of the canary bucket', () => {
    const keys = keysOf(20_000, 'req')
    const hit = keys.filter((k) => sampled('r', k, 0.1))
    expect(Math.abs(hit.length / keys.length - 0.1)).toBeLessThan(0.01)
    expect(keys.filter((k) => sampled('r', k, 0.1))).toEqual(hit)
    expect(keys.every((k) => sampled('r', k, 1))).toBe(true)
    expect(keys.some((k) => sampled('r', k, 0))).toBe(false)
    const canaryOfSampled = hit.filter((k) => inRollout('r', k, 10)).length / hit.length
    expect(Math.abs(canaryOfSampled - 0.1)).toBeLessThan(0.03)
  })
})

describe('drawSample', () => {
  it('draws each time at the rate, from a CSPRNG in [0, 1)', () => {
    const draws = Array.from({ length: 20_000 }, () => secureRandom())
    expect(draws.every((d) => d >= 0 && d < 1)).toBe(true)
    expect(new Set(draws).size).toBeGreaterThan(19_990)
    const hits = Array.from({ length: 20_000 }, () => drawSample(0.1)).filter((r) => r > 0).length
    expect(Math.abs(hits / 20_000 - 0.1)).toBeLessThan(0.01)
    const keep = (_u: number, r: number): number => r
    expect(drawSample(1, keep, () => 0.999)).toBe(1)
    expect(drawSample(0, keep, () => 0)).toBe(0)
    expect([drawSample(0.5, keep, () => 0.49), drawSample(0.5, keep, () => 0.5)]).toEqual([0.5, 0])
  })

  it('lets the budget lower the rate: a draw in at the configured rate is out above the effective one', () => {
    const half = (u: number, r: number): number => (u < r / 2 ? r / 2 : 0)
    expect([drawSample(0.1, half, () => 0.04), drawSample(0.1, half, () => 0.06), drawSample(0.1, half, () => 0.2)]).toEqual([0.05, 0, 0])
    const hits = Array.from({ length: 20_000 }, () => drawSample(0.2, half)).filter((r) => r > 0).length
    expect(Math.abs(hits / 20_000 - 0.1)).toBeLessThan(0.01)
  })
})
