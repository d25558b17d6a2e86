/** A playbook duration: one or more `<number><unit>` parts, e.g. `30m`, `2d`, `1h30m`, `0s`. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h|d|w))+$'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)/g

/** Milliseconds of a duration the schema accepted; undefined when the text is not one. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined
  let total = 0
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
  return Math.round(total)
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
