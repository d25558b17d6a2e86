import { describe, expect, it } from 'vitest'
import { cacheLookupOf } from '../../src/meter/meter.js'

const NOT_A_LOOKUP = 0
const MISS = 1
const HIT = 2

describe('cacheLookupOf (what a Cache-Status says of the page cache)', () => {
  const cases: Array<[string, number]> = [
    ['cutover; hit; ttl=3600', HIT],
    ['cutover; hit', HIT],
    ['cutover; hit; detail=coalesced', HIT],
    ['  Cutover ;HIT ', HIT],
    ['cutover; fwd=miss; stored', MISS],
    ['cutover; fwd=stale; ttl=0', MISS],
    ['cutover; fwd=bypass; detail=cookie', MISS],
    ['cutover; hitch', MISS],
    ['cutover; fwd=bypass; detail=mode-off', NOT_A_LOOKUP],
    ['cutover; fwd=bypass; DETAIL=Mode-Off', NOT_A_LOOKUP],
    ['varnish; hit', NOT_A_LOOKUP],
    ['cdn; hit, cutover; hit', NOT_A_LOOKUP],
    ['', NOT_A_LOOKUP],
  ]

  it('classifies each form, the same when asked again', () => {
    for (const [value, lookup] of cases) expect([value, cacheLookupOf(value)]).toEqual([value, lookup])
    for (const [value, lookup] of cases) expect([value, cacheLookupOf(value)]).toEqual([value, lookup])
  })

  it('stays right past the values it keeps (a header is the app to set, so they are bounded)', () => {
    for (let i = 0; i < 3000; i++) {
      expect(cacheLookupOf(`cutover; hit; ttl=${i}`)).toBe(HIT)
      expect(cacheLookupOf(`cutover; fwd=miss; ttl=${i}`)).toBe(MISS)
      expect(cacheLookupOf(`other-${i}; hit`)).toBe(NOT_A_LOOKUP)
    }
  })
})
