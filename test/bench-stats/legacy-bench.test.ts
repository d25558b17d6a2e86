import { describe, expect, it } from 'vitest'
import { listPaths } from '../bench/list-paths.js'
import { mediansOf } from '../bench/stats.js'

describe('legacy bench helpers', () => {
  it('sends list pages 1 to 100, the first far more often, the same sequence for every case', () => {
    const next = listPaths()
    const paths = Array.from({ length: 10_000 }, next)
    const pages = paths.map((p) => Number(/page=(\d+)&sort=id$/.exec(p)?.[1]))
    expect(Math.min(...pages)).toBe(1)
    expect(Math.max(...pages)).toBeLessThanOrEqual(100)
    const ones = pages.filter((n) => n === 1).length
    const fifties = pages.filter((n) => n === 50).length
    expect(ones).toBeGreaterThan(10 * Math.max(1, fifties))
    const again = listPaths()
    expect(Array.from({ length: 100 }, again)).toEqual(paths.slice(0, 100))
  })

  it('takes each figure\'s median over rounds on its own, and sums the failures', () => {
    const rounds = [
      { rps: 100, p50: 9, p99: 1, non2xx: 1, errors: 0 },
      { rps: 300, p50: 1, p99: 3, non2xx: 0, errors: 2 },
      { rps: 200, p50: 5, p99: 2, non2xx: 0, errors: 0 },
    ]
    expect(mediansOf(rounds)).toEqual({ rps: 200, p50: 5, p99: 2, non2xx: 1, errors: 2 })
  })
})
