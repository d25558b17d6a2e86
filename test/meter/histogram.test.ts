import { describe, expect, it } from 'vitest'
import { bucketUpperMs, LATENCY_BUCKETS, latencyBucket, quantileMs } from '../../src/meter/histogram.js'
import { counterField, parseCounterField } from '../../src/meter/keys.js'

describe('latency histogram', () => {
  it('puts a duration in the bucket whose bound is the first at or above it, within 10%', () => {
    for (const ms of [0.2, 1, 3.7, 12, 250, 4000]) {
      const i = latencyBucket(ms)
      expect(bucketUpperMs(i)).toBeGreaterThanOrEqual(ms)
      expect(bucketUpperMs(i)).toBeLessThanOrEqual(ms * 1.1 + 1e-9)
    }
    expect(latencyBucket(0)).toBe(0)
    expect(latencyBucket(-5)).toBe(0)
    expect(latencyBucket(1e12)).toBe(LATENCY_BUCKETS)
  })

  it('reads p50 and p99 from counts', () => {
    const h = new Map<number, number>()
    for (let ms = 1; ms <= 100; ms++) {
      const i = latencyBucket(ms)
      h.set(i, (h.get(i) ?? 0) + 1)
    }
    const p50 = quantileMs(h, 0.5) as number
    const p99 = quantileMs(h, 0.99) as number
    expect(p50).toBeGreaterThanOrEqual(50)
    expect(p50).toBeLessThanOrEqual(55)
    expect(p99).toBeGreaterThanOrEqual(99)
    expect(p99).toBeLessThanOrEqual(109)
    expect(quantileMs(new Map(), 0.5)).toBeUndefined()
  })
})

describe('counter fields', () => {
  it('round-trips scope, route and counter, with | inside the route', () => {
    const field = counterField('shadow', 'GET /a|b', 'requests')
    expect(parseCounterField(field)).toEqual({ scope: 'shadow', route: 'GET /a|b', counter: 'requests' })
    expect(parseCounterField('x|r|c')).toBeUndefined()
    expect(parseCounterField('nobars')).toBeUndefined()
  })
})
