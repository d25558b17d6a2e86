import { describe, expect, it } from 'vitest'
import { CallCounts } from '../../src/meter/call-counts.js'
import { CountBuffer } from '../../src/meter/counts.js'
import { isFraming } from '../../src/meter/wrap-redis.js'

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

describe('CallCounts', () => {
  it('adds calls into per-route slots and folds them into the buffer as counter fields of their bucket', () => {
    const buffer = new CountBuffer()
    const calls = new CallCounts(buffer, 60)
    calls.slot(false, 'a', T0).redis += 3
    calls.slot(false, 'a', T0 + 1000).queries++
    calls.slot(true, 'a', T0 + 2000).redis++
    calls.slot(false, 'b|c', T0 + 59_999).refreshReads += 2
    // Nothing reaches the buffer until folded.
    expect(buffer.take().increments.size).toBe(0)
    calls.fold()
    expect(buffer.take().increments).toEqual(new Map([[T0 / 1000, new Map([
      ['u|a|redis', 3], ['u|a|queries', 1], ['u|b|c|refreshReads', 2], ['s|a|redis', 1],
    ])]]))
    // Folding empties the slots: a second fold adds nothing.
    calls.fold()
    expect(buffer.take().increments.size).toBe(0)
  })

  it('keeps each call in the bucket it was made in, when time moves on and when it steps back', () => {
    const buffer = new CountBuffer()
    const calls = new CallCounts(buffer, 60)
    calls.slot(false, 'a', T0 + 59_999).redis++
    calls.slot(false, 'a', T0 + 60_000).redis += 2
    calls.slot(false, 'a', T0 + 30_000).redis += 4
    calls.slot(false, 'a', T0 + 125_000).redis += 8
    calls.fold()
    const bucket = (offsetMs: number): number => (T0 + offsetMs) / 1000
    expect(buffer.take().increments).toEqual(new Map([
      [bucket(0), new Map([['u|a|redis', 5]])],
      [bucket(60_000), new Map([['u|a|redis', 2]])],
      [bucket(120_000), new Map([['u|a|redis', 8]])],
    ]))
  })

  it('leaves out counters that stayed at zero', () => {
    const buffer = new CountBuffer()
    const calls = new CallCounts(buffer, 60)
    calls.slot(false, 'a', T0)
    calls.slot(false, 'b', T0).queries++
    calls.fold()
    expect(buffer.take().increments.get(T0 / 1000)).toEqual(new Map([['u|b|queries', 1]]))
  })
})

describe('isFraming', () => {
  it('is true for multi and exec in any case, false for every other command', () => {
    for (const name of ['multi', 'exec', 'MULTI', 'Exec']) expect(isFraming(name)).toBe(true)
    for (const name of ['get', 'set', 'eval', 'execs', 'mult', 'multi2', '', undefined, 3]) expect(isFraming(name)).toBe(false)
  })
})
