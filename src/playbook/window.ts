// When stages may advance: days of the week and hours of the day in a time
// zone, read with Intl (the zone database Node ships), so daylight-saving
// changes are the zone's own. Windows are checked on the playbook clock, which
// --time-scale speeds up.

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const
export type Weekday = (typeof WEEKDAYS)[number]

/** Minutes of the local day, [start, end). */
export interface MinuteRange {
  start: number
  end: number
}

export interface AdvanceWindow {
  timezone: string
  /** Weekdays (0 = Sunday) on which stages may advance. */
  days: readonly number[]
  /** Local hours on those days; an empty list means the whole day. */
  hours: readonly MinuteRange[]
}

const formatters = new Map<string, Intl.DateTimeFormat>()

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: timezone, weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
    formatters.set(timezone, f)
  }
  return f
}

/** true when Intl knows the zone (IANA name such as `Europe/Berlin`, or `UTC`). */
export function isTimeZone(timezone: string): boolean {
  try {
    formatterFor(timezone)
    return true
  } catch {
    return false
  }
}

/** Weekday (0 = Sunday) and minute of the day at `t` in the zone, with the seconds into that minute. */
export function localClock(t: number, timezone: string): { weekday: number; minute: number; second: number } {
  const parts = formatterFor(timezone).formatToParts(new Date(t))
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? '0'
  const weekday = WEEKDAYS.indexOf(get('weekday').toLowerCase() as Weekday)
  return { weekday, minute: Number(get('hour')) * 60 + Number(get('minute')), second: Number(get('second')) }
}

/** Parses `HH:MM-HH:MM` (end may be 24:00); undefined when malformed or empty. */
export function parseHours(text: string): MinuteRange | undefined {
  const m = /^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$/.exec(text)
  if (!m) return undefined
  const start = Number(m[1]) * 60 + Number(m[2])
  const end = Number(m[3]) * 60 + Number(m[4])
  return end > start && end <= 1440 ? { start, end } : undefined
}

/** Whether stages may advance at `t` (epoch ms on the playbook clock). No window: always. */
export function inWindow(window: AdvanceWindow | undefined, t: number): boolean {
  if (!window) return true
  const { weekday, minute } = localClock(t, window.timezone)
  if (!window.days.includes(weekday)) return false
  return window.hours.length === 0 || window.hours.some((r) => minute >= r.start && minute < r.end)
}

/** Minutes from the local (weekday, minute) to the next range start, by local arithmetic. */
function minutesToNextStart(window: AdvanceWindow, weekday: number, minute: number): number {
  const starts = window.hours.length === 0 ? [0] : window.hours.map((r) => r.start).sort((a, b) => a - b)
  for (let day = 0; day <= 7; day++) {
    const wd = (weekday + day) % 7
    if (!window.days.includes(wd)) continue
    for (const s of starts) {
      const delta = day * 1440 + s - minute
      if (delta > 0) return delta
    }
  }
  return 1440
}

/** Back to the start of the range `at` is in, when that is still after `after` (a jump that a clock change carried too far). */
function rangeStart(window: AdvanceWindow, at: number, after: number): number {
  const local = localClock(at, window.timezone)
  const range = window.hours.find((r) => local.minute >= r.start && local.minute < r.end)
  const back = at - ((local.minute - (range?.start ?? 0)) * 60 + local.second) * 1000 - (at % 1000)
  return back > after && back < at && inWindow(window, back) ? back : at
}

/**
 * The earliest time at or after `t` inside the window. Jumps by local
 * arithmetic and checks again; a jump that a daylight-saving change carried
 * past the opening is taken back to it.
 */
export function nextOpen(window: AdvanceWindow | undefined, t: number): number {
  if (!window || window.days.length === 0) return t
  let at = t
  for (let i = 0; i < 32; i++) {
    if (inWindow(window, at)) return at === t ? at : rangeStart(window, at, t)
    const local = localClock(at, window.timezone)
    const delta = minutesToNextStart(window, local.weekday, local.minute)
    at = at - (at % 1000) - local.second * 1000 + delta * 60_000
  }
  return at
}

/** `Mon-Fri 09:00-16:00 Europe/Berlin`, for plans and status. */
export function describeWindow(window: AdvanceWindow | undefined): string {
  if (!window) return 'any time'
  const hm = (m: number): string => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`
  const days = window.days.map((d) => WEEKDAYS[d]).join(',')
  const hours = window.hours.length === 0 ? 'all day' : window.hours.map((r) => `${hm(r.start)}-${hm(r.end)}`).join(',')
  return `${days} ${hours} ${window.timezone}`
}
