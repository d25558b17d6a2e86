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
    const hits = Array.from({ length: 20_000 }, () => drawSample(0.1)).filter(Boolean).length
    expect(Math.abs(hits / 20_000 - 0.1)).toBeLessThan(0.01)
    expect(drawSample(1, () => 0.999)).toBe(true)
    expect(drawSample(0, () => 0)).toBe(false)
    expect([drawSample(0.5, () => 0.49), drawSample(0.5, () => 0.5)]).toEqual([true, false])
  })
})
