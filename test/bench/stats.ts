// Statistics of the benchmarks' figures.

/**
 * A distribution-free interval for the median of sorted `xs`: the order
 * statistics x(j)..x(n+1-j), with j the largest rank for which a Binomial(n,
 * 1/2) count falls below j with probability at most (1 - confidence) / 2.
 * Undefined with too few values for the confidence (fewer than 6 at 95 %).
 */
export function medianInterval(xs: readonly number[], confidence = 0.95): [number, number] | undefined {
  const n = xs.length
  const tail = (1 - confidence) / 2
  let below = 0 // P(count < j), built up for j = 1, 2, ...
  let choose = 1 // C(n, j - 1)
  let j = 0
  for (let k = 0; k < n; k++) {
    below += choose / 2 ** n
    if (below > tail) break
    j = k + 1
    choose = (choose * (n - k)) / (k + 1)
  }
  if (j < 1) return undefined
  return [xs[j - 1]!, xs[n - j]!]
}

/** One round's figures from the load generator. */
export interface RoundFigures {
  rps: number
  p50: number
  p99: number
  non2xx: number
  errors: number
}

/** Each figure's median over rounds (req/s, p50, p99 apart), with the rounds' non-2xx responses and errors summed. */
export function mediansOf(rounds: readonly RoundFigures[]): RoundFigures {
  const mid = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
  return {
    rps: mid(rounds.map((r) => r.rps)),
    p50: mid(rounds.map((r) => r.p50)),
    p99: mid(rounds.map((r) => r.p99)),
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
  }
}
