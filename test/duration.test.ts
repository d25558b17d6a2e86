import { describe, expect, it } from 'vitest'
import { durationMs, parseDuration, parseTimeBound, timeWindow } from '../src/duration.js'

describe('durations and times', () => {
  it('reads durations in ms, s, m, h, d and w, with decimals', () => {
    expect([durationMs('500ms'), durationMs('90s'), durationMs('1.5m'), durationMs('2h'), durationMs('1d'), durationMs(' 1w ')]).toEqual([
      500, 90_000, 90_000, 7_200_000, 86_400_000, 604_800_000,
    ])
    for (const bad of ['10', '10 minutes', 'm', '-5m', '1e3s', '']) expect(durationMs(bad), bad).toBeUndefined()
  })

  it('a zero or unreadable duration is a coded error naming what was read', () => {
    expect(() => parseDuration('hold', '0s')).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_DURATION_INVALID', message: expect.stringContaining('hold') }))
    expect(() => parseDuration('hold', 'soon')).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_DURATION_INVALID' }))
  })

  it('parses window bounds as durations ago or ISO times, and rejects the rest', () => {
    expect(parseTimeBound('--since', '24h', 100 * 3_600_000)).toBe(76 * 3_600_000)
    expect(parseTimeBound('--since', '2026-11-20T00:00:00Z', 0)).toBe(Date.UTC(2026, 10, 20))
    expect(() => parseTimeBound('--since', 'yesterday', 0)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_DURATION_INVALID' }))
  })

  it('a window ends after it starts', () => {
    expect(timeWindow({ since: '15m', until: undefined, defaultSince: '1h', now: 3_600_000 })).toEqual({ from: 2_700_000, to: 3_600_000 })
    expect(timeWindow({ since: undefined, until: '30m', defaultSince: '1h', now: 3_600_000 })).toEqual({ from: 0, to: 1_800_000 })
    expect(() => timeWindow({ since: '10m', until: '20m', defaultSince: '1h', now: 3_600_000 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_DURATION_INVALID' }))
  })
})
