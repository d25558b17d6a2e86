import { CUTOVER_ERR_REPORT_WINDOW_INVALID } from '../errors.js'
import { describeValue } from '../describe-value.js'

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `90s`, `15m`, `2h`, `1d` -> milliseconds. */
export function parseDuration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([smhd])$/.exec(text.trim())
  const ms = match ? Number(match[1]) * (UNITS[match[2] as string] as number) : NaN
  if (!(ms > 0)) throw new CUTOVER_ERR_REPORT_WINDOW_INVALID('duration like 90s, 15m, 2h or 1d', describeValue(text))
  return ms
}

function parseTime(name: string, text: string): number {
  const ms = Date.parse(text)
  if (Number.isNaN(ms)) throw new CUTOVER_ERR_REPORT_WINDOW_INVALID(`${name} as an ISO 8601 time (2025-01-31T12:00:00Z)`, describeValue(text))
  return ms
}

/** The window a report covers: `since` back from `now`, or explicit `from`/`to` (`to` defaults to now). */
export function reportWindow(options: { since?: string | undefined; from?: string | undefined; to?: string | undefined; now: number }): { from: number; to: number } {
  const to = options.to !== undefined ? parseTime('--to', options.to) : options.now
  const from = options.from !== undefined ? parseTime('--from', options.from) : to - parseDuration(options.since ?? '15m')
  if (options.from !== undefined && options.since !== undefined) {
    throw new CUTOVER_ERR_REPORT_WINDOW_INVALID('either --since or --from', 'both')
  }
  if (from >= to) throw new CUTOVER_ERR_REPORT_WINDOW_INVALID('a start before its end', `${new Date(from).toISOString()} .. ${new Date(to).toISOString()}`)
  return { from, to }
}
