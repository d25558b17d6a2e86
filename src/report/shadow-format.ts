import type { Cause } from '../shadow/classify.js'
import type { PathNode, Percentiles } from './shadow-model.js'

/** Small formatting helpers shared by the HTML and Markdown renderers. */

export const CAUSE_LABEL: Record<Cause | 'ignored', string> = {
  leak: 'leak',
  logic: 'logic',
  unexplained: 'unexplained',
  staleness: 'staleness',
  noise: 'noise',
  ignored: 'ignored by rule',
}

export const pct = (x: number): string => `${(x * 100).toFixed(2)}%`
export const ms = (x: number | null): string => (x === null ? '–' : `${x.toFixed(1)} ms`)
export const num = (x: number | null, digits = 1): string => (x === null ? '–' : x.toFixed(digits))
export const lat = (p: Percentiles): string => `${ms(p.p50)} / ${ms(p.p95)} / ${ms(p.p99)}`

/** `10.00% (achieved 4.20%: the shadows' CPU budget lowered it)`, or `–` when no sample says. */
export function sampleRateText(rate: { configured: number; achieved: number } | null): string {
  if (rate === null) return '–'
  const lowered = rate.achieved < rate.configured * 0.995
  return `${pct(rate.configured)} configured, ${pct(rate.achieved)} achieved${lowered ? " (the shadows' CPU budget, shadowLimits.maxLoopShare, lowered it)" : ''}`
}

export function countsText(counts: PathNode['counts']): string {
  return Object.entries(counts)
    .map(([cause, n]) => `${CAUSE_LABEL[cause as Cause | 'ignored']} ${n}`)
    .join(', ')
}

export { escapeHtml } from './escape-html.js'
