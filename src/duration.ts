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

const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/

/** What a duration may look like, for messages. */
export const DURATION_RULE = 'a duration like 500ms, 90s, 15m, 2h, 1d or 1w'

/** A duration in ms, or undefined when `text` is not one. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim())
  if (!match) return undefined
  const ms = Number(match[1]) * (UNIT_MS[match[2] as string] as number)
  return Number.isFinite(ms) ? ms : undefined
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
