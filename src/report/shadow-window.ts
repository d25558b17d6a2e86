import { CUTOVER_ERR_REPORT_INVALID } from '../errors.js'

const UNIT: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }

/**
 * A window bound: a duration before `now` (`90m`, `24h`, `7d`) or an ISO-8601
 * time. Returns epoch ms; throws a coded error naming the option otherwise.
 */
export function parseTimeBound(option: string, value: string, now: number): number {
  const d = /^(\d+(?:\.\d+)?)([smhdw])$/.exec(value.trim())
  if (d) return now - Number(d[1]) * (UNIT[d[2] as string] as number)
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    const t = Date.parse(value)
    if (!Number.isNaN(t)) return t
  }
  throw new CUTOVER_ERR_REPORT_INVALID(`${option} to be a duration like 24h or an ISO time`, `"${value}"`)
}
