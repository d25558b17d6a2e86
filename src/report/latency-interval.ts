import { zFor } from '../shadow/wilson.js'

/** A quantile of a sample and its distribution-free confidence interval. */
export interface QuantileInterval {
  value: number
  lower: number
  upper: number
}

/**
 * The `q` quantile of `values` with a confidence interval from order
 * statistics: the number of values below the true quantile is binomial
 * (n, q), so the ranks n·q ± z·√(n·q·(1−q)) bracket it (normal approximation
 * of the binomial; no assumption about the latency distribution). Null for an
 * empty sample.
 */
export function quantileInterval(values: readonly number[], q: number, confidence = 0.95): QuantileInterval | null {
  const n = values.length
  if (n === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const at = (rank: number): number => sorted[Math.min(n, Math.max(1, rank)) - 1]!
  const spread = zFor(confidence) * Math.sqrt(n * q * (1 - q))
  return {
    value: at(Math.ceil(q * n)),
    lower: at(Math.floor(q * n - spread)),
    upper: at(Math.ceil(q * n + spread) + 1),
  }
}
