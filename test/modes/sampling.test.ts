import { describe, expect, it } from 'vitest'
import { inRollout } from '../../src/flags/sticky.js'
import { sampled } from '../../src/modes/sampling.js'

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
