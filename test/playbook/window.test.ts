import { describe, expect, it } from 'vitest'
import { durationMs, formatDuration } from '../../src/duration.js'
import { describeWindow, inWindow, localClock, nextOpen, parseHours, type AdvanceWindow } from '../../src/playbook/window.js'

const WORKDAYS: AdvanceWindow = { timezone: 'Europe/Berlin', days: [1, 2, 3, 4, 5], hours: [{ start: 9 * 60, end: 16 * 60 }] }
const iso = (t: number): string => new Date(t).toISOString()

describe('durations', () => {
  it.each([
    ['30s', 30_000], ['15m', 900_000], ['2h', 7_200_000], ['1d', 86_400_000], ['1w', 604_800_000], ['1h30m', 5_400_000], ['250ms', 250], ['0s', 0], ['1.5h', 5_400_000],
  ])('%s is %i ms', (text, ms) => {
    expect(durationMs(text)).toBe(ms)
  })

  it.each(['', '30', '2 days', '1x', 'h', '-1h'])('%j is not a duration', (text) => {
    expect(durationMs(text)).toBeUndefined()
  })

  it('formats for people', () => {
    expect([0, 250, 45_000, 5_400_000, 90_061_000].map(formatDuration)).toEqual(['0s', '250ms', '45s', '1h 30m', '1d 1h'])
  })
})

describe('advance windows (Intl, a time zone with daylight saving)', () => {
  it('reads the local weekday and minute in the zone', () => {
    // 2024-03-29 is a Friday; Berlin is UTC+1 until 31 March, then UTC+2.
    expect(localClock(Date.UTC(2024, 2, 29, 14, 59, 30), 'Europe/Berlin')).toEqual({ weekday: 5, minute: 15 * 60 + 59, second: 30 })
    expect(localClock(Date.UTC(2024, 3, 2, 14, 0), 'Europe/Berlin')).toEqual({ weekday: 2, minute: 16 * 60, second: 0 })
  })

  it('is open on the days and hours given, in local time', () => {
    expect(inWindow(WORKDAYS, Date.UTC(2024, 2, 29, 14, 59))).toBe(true) // Fri 15:59 CET
    expect(inWindow(WORKDAYS, Date.UTC(2024, 2, 29, 15, 0))).toBe(false) // Fri 16:00 CET
    expect(inWindow(WORKDAYS, Date.UTC(2024, 3, 2, 13, 59))).toBe(true) // Tue 15:59 CEST
    expect(inWindow(WORKDAYS, Date.UTC(2024, 3, 2, 14, 0))).toBe(false) // Tue 16:00 CEST
    expect(inWindow(WORKDAYS, Date.UTC(2024, 2, 30, 10, 0))).toBe(false) // Saturday
    expect(inWindow(undefined, 0)).toBe(true)
  })

  it('finds the next opening across a weekend and a daylight-saving change', () => {
    // Friday 16:30 CET -> Monday 1 April 09:00 CEST (07:00 UTC).
    expect(iso(nextOpen(WORKDAYS, Date.UTC(2024, 2, 29, 15, 30, 12)))).toBe('2024-04-01T07:00:00.000Z')
    // Monday 07:15 CEST -> 09:00 the same day.
    expect(iso(nextOpen(WORKDAYS, Date.UTC(2024, 3, 1, 5, 15)))).toBe('2024-04-01T07:00:00.000Z')
    const open = Date.UTC(2024, 3, 1, 8, 0, 5)
    expect(nextOpen(WORKDAYS, open)).toBe(open)
    // Autumn: Friday 25 October 17:00 CEST -> Monday 28 October 09:00 CET (08:00 UTC).
    expect(iso(nextOpen(WORKDAYS, Date.UTC(2024, 9, 25, 15, 0)))).toBe('2024-10-28T08:00:00.000Z')
  })

  it('several ranges a day, a whole day, and the description', () => {
    const split: AdvanceWindow = { timezone: 'UTC', days: [0, 6], hours: [{ start: 540, end: 720 }, { start: 780, end: 1440 }] }
    expect(iso(nextOpen(split, Date.UTC(2024, 5, 8, 12, 30)))).toBe('2024-06-08T13:00:00.000Z')
    expect(iso(nextOpen(split, Date.UTC(2024, 5, 9, 23, 59)))).toBe('2024-06-09T23:59:00.000Z')
    expect(iso(nextOpen({ timezone: 'UTC', days: [3], hours: [] }, Date.UTC(2024, 5, 6)))).toBe('2024-06-12T00:00:00.000Z')
    expect(describeWindow(split)).toBe('sun,sat 09:00-12:00,13:00-24:00 UTC')
    expect(describeWindow(undefined)).toBe('any time')
  })

  it('parses hours', () => {
    expect(parseHours('09:00-16:30')).toEqual({ start: 540, end: 990 })
    expect(parseHours('00:00-24:00')).toEqual({ start: 0, end: 1440 })
    expect(parseHours('16:00-09:00')).toBeUndefined()
    expect(parseHours('9-5')).toBeUndefined()
  })
})
