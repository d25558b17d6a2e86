// Durations and points in time as people write them (`90s`, `15m`, `2d`,
// `2025-01-31T12:00:00Z`): one reader for the CLI, report windows and
// playbooks. Pure; throws CUTOVER_ERR_DURATION_INVALID naming what was read.
import { CUTOVER_ERR_DURATION_INVALID } from './errors.js'

const UNIT_MS: Readonly<Record<string, number>> = Object.freeze({
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
})

/** A duration: one or more `<number><unit>` parts, e.g. `30m`, `2d`, `1h30m`, `500ms` (also the playbook schema's pattern). */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+$'
const DURATION = new RegExp(DURATION_PATTERN)
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/g

/** What a duration may look like, for messages. */
export const DURATION_RULE = 'a duration like 500ms, 90s, 15m, 1h30m, 2d or 1w'

/** A duration in whole ms (0 for `0s`), or undefined when `text` is not one. */
export function durationMs(text: string): number | undefined {
  const trimmed = text.trim()
  if (!DURATION.test(trimmed)) return undefined
  let total = 0
  for (const m of trimmed.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
  return Number.isFinite(total) ? Math.round(total) : undefined
}

/** A compact human form: 1d 2h, 30m, 45s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms <= 0) return '0s'
  if (ms < 1000) return `${Math.round(ms)}ms`
  const parts: string[] = []
  let left = Math.round(ms / 1000)
  for (const [unit, secs] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(left / secs)
    if (n > 0) parts.push(`${n}${unit}`)
    left -= n * secs
    if (parts.length === 2) break
  }
  return parts.join(' ')
}

/** `90s`, `15m`, `2h`, `1d`, `1w`, `500ms` -> milliseconds (> 0). `what` names the value in the error. */
export function parseDuration(what: string, text: string): number {
  const ms = durationMs(text)
  if (ms === undefined || ms <= 0) throw new CUTOVER_ERR_DURATION_INVALID(what, DURATION_RULE, JSON.stringify(text))
  return ms
}

/** A point in time: a duration before `now` (`24h` is a day ago) or an ISO 8601 time. */
export function parseTimeBound(what: string, text: string, now: number): number {
  const ago = durationMs(text)
  if (ago !== undefined) return now - ago
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const at = Date.parse(text)
    if (!Number.isNaN(at)) return at
  }
  throw new CUTOVER_ERR_DURATION_INVALID(what, `${DURATION_RULE} (that long ago), or an ISO 8601 time`, JSON.stringify(text))
}

/**
 * The window a report covers: from `since` (a time, or a duration before
 * now; default `defaultSince` ago) to `until` (default now).
 */
export function timeWindow(options: { since?: string | undefined; until?: string | undefined; defaultSince: string; now: number }): { from: number; to: number } {
  const to = options.until === undefined ? options.now : parseTimeBound('--until', options.until, options.now)
  const from = parseTimeBound('--since', options.since ?? options.defaultSince, options.now)
  if (from >= to) throw new CUTOVER_ERR_DURATION_INVALID('the window', 'a start before its end', `${new Date(from).toISOString()} .. ${new Date(to).toISOString()}`)
  return { from, to }
}
