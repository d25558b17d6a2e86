/** z for a two-sided interval at the given confidence (0.8 .. 0.999), by Acklam's rational approximation of the normal quantile. */
export function zFor(confidence: number): number {
  const p = 1 - (1 - confidence) / 2
  // Acklam's algorithm, central and upper regions (p > 0.5 here).
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number]
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number]
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number]
  const [d0, d1, d2, d3] = d as [number, number, number, number]
  if (p <= 0.97575) {
    const q = p - 0.5
    const r = q * q
    return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
  }
  const q = Math.sqrt(-2 * Math.log(1 - p))
  return -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
}

export interface Interval {
  /** The observed proportion (0 when n is 0). */
  rate: number
  lower: number
  upper: number
}

/**
 * Wilson score interval for a proportion (Wilson 1927): unlike the normal
 * approximation it stays inside [0, 1] and behaves with few samples or a
 * proportion near 0 or 1, which is where cut-over decisions are made. `n` may
 * be fractional (time-decayed counts).
 */
export function wilson(successes: number, n: number, confidence = 0.95): Interval {
  if (!(n > 0)) return { rate: 0, lower: 0, upper: 1 }
  const z = zFor(confidence)
  const p = Math.min(1, Math.max(0, successes / n))
  const z2 = z * z
  const denom = 1 + z2 / n
  const centre = p + z2 / (2 * n)
  const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))
  return { rate: p, lower: Math.max(0, (centre - margin) / denom), upper: Math.min(1, (centre + margin) / denom) }
}
