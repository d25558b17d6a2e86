/**
 * Log-bucketed latency histogram: bucket i holds durations up to
 * BASE_MS * GROWTH^i, so any quantile read from it is within 10% of the true
 * value. Buckets are plain counters, which lets many processes add theirs up
 * in one Redis hash.
 */
const BASE_MS = 0.05
const GROWTH = 1.1
const LOG_GROWTH = Math.log(GROWTH)
/** 0.05ms * 1.1^200 is about 9.5 hours: everything longer lands in the last bucket. */
export const LATENCY_BUCKETS = 200

export function latencyBucket(ms: number): number {
  if (!(ms > BASE_MS)) return 0
  const i = Math.ceil(Math.log(ms / BASE_MS) / LOG_GROWTH)
  return Math.min(i, LATENCY_BUCKETS)
}

/** Upper bound (ms) of bucket `i`. */
export function bucketUpperMs(i: number): number {
  return BASE_MS * GROWTH ** i
}

/**
 * The `q` quantile (0..1) of a histogram given as bucket index -> count,
 * reported as the bucket's upper bound; undefined when it is empty.
 */
export function quantileMs(histogram: ReadonlyMap<number, number>, q: number): number | undefined {
  let total = 0
  for (const n of histogram.values()) total += n
  if (total === 0) return undefined
  const rank = Math.max(1, Math.ceil(q * total))
  const indexes = [...histogram.keys()].sort((a, b) => a - b)
  let seen = 0
  for (const i of indexes) {
    seen += histogram.get(i) ?? 0
    if (seen >= rank) return bucketUpperMs(i)
  }
  return bucketUpperMs(indexes[indexes.length - 1] ?? 0)
}
