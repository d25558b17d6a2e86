import { describe, expect, it } from 'vitest'
import { latencyBucket } from '../../src/meter/histogram.js'
import type { MeterReading, RouteTotals } from '../../src/meter/read.js'
import { summarize, type AmplificationReport } from '../../src/report/amplification.js'
import { renderHtml } from '../../src/report/render-html.js'
import { renderJson, renderMarkdown, renderTerminal } from '../../src/report/render-text.js'

const FROM = Date.UTC(2026, 0, 1, 12, 0, 0)

function totals(route: string, counters: Record<string, number>, latencies: number[] = []): RouteTotals {
  const latency = new Map<number, number>()
  for (const ms of latencies) latency.set(latencyBucket(ms), (latency.get(latencyBucket(ms)) ?? 0) + 1)
  return { route, counters, latency }
}

/** A known set of counters: 10 list requests costing 2 inline + 100 refresh reads each, half the jobs run. */
function legacyReading(): MeterReading {
  return {
    from: FROM,
    to: FROM + 60_000,
    bucketSeconds: 60,
    dataFrom: FROM,
    dataTo: FROM + 60_000,
    user: new Map([
      ['products.list', totals('products.list', { requests: 10, queries: 20, jobs: 1000, jobsDone: 500, refreshReads: 500, redis: 1010 }, [10, 10, 10, 10, 10, 20, 20, 20, 20, 200])],
      ['products.get', totals('products.get', { requests: 5, queries: 0, jobs: 5, jobsDone: 5, refreshReads: 5, redis: 5, errors: 1 }, [1, 1, 1, 1, 1])],
    ]),
    shadow: new Map([['products.list', totals('products.list', { requests: 2, queries: 4 })]]),
    queues: new Map([['refresh', { name: 'refresh', depthMax: 700, depthLast: 500 }]]),
    backlog: new Map([['products.list', 500]]),
  }
}

function pagedReading(): MeterReading {
  return {
    from: FROM + 120_000,
    to: FROM + 180_000,
    bucketSeconds: 60,
    user: new Map([['products.list', totals('products.list', { requests: 200, queries: 4, redis: 400, cacheLookups: 200, cacheHits: 198 }, Array(200).fill(1))]]),
    shadow: new Map(),
    queues: new Map([['refresh', { name: 'refresh', depthMax: 0, depthLast: 0 }]]),
    backlog: new Map(),
  }
}

describe('amplification figures', () => {
  it('counts refresh reads made and owed per request', () => {
    const s = summarize(legacyReading(), { label: 'legacy', durationSeconds: 10 })
    const list = s.routes[0]
    expect(list?.route).toBe('products.list')
    // 20 inline + 500 made + 500 owed (500 jobs not run at 1 read per job) over 10 requests.
    expect(list?.dbCallsPerRequest).toBe(102)
    expect(list?.dbCallsMadePerRequest).toBe(52)
    expect(list?.refreshReadsOwed).toBe(500)
    expect(list?.requestsPerSecond).toBe(1)
    expect(list?.backlog).toBe(500)
    expect(list?.p50Ms).toBeCloseTo(10, 0)
    expect(list?.p99Ms).toBeGreaterThanOrEqual(200)
    expect(s.routes[1]?.dbCallsPerRequest).toBe(1)
    expect(s.routes[1]?.errors).toBe(1)
    expect(s.total.requests).toBe(15)
    expect(s.total.dbCalls).toBe(1025)
    expect(s.shadow[0]).toMatchObject({ route: 'products.list', requests: 2, dbCallsPerRequest: 2 })
    expect(s.queues).toEqual([{ name: 'refresh', depthMax: 700, depthLast: 500 }])
  })

  it('takes the traffic span from the data when no duration is given', () => {
    expect(summarize(legacyReading(), { label: 'x' }).durationSeconds).toBe(60)
  })
})

describe('amplification report formats', () => {
  const report: AmplificationReport = {
    title: 'demo <report>',
    generatedAt: '2026-01-01T12:05:00.000Z',
    phases: [summarize(legacyReading(), { label: 'legacy', durationSeconds: 10 }), summarize(pagedReading(), { label: 'page cache', durationSeconds: 10 })],
  }

  it('terminal: per-route rows, totals and the before/after comparison', () => {
    const text = renderTerminal(report)
    expect(text).toMatch(/products\.list\s+10\s+1\s+20\s+1,000\s+500\s+500\s+102\s/)
    expect(text).toMatch(/DB calls per request\s+68\.3\s+0\.02\s+0\.00029x/)
    expect(text).toMatch(/requests\/s\s+1\.5\s+20\s+13\.3x/)
    expect(text).toMatch(/page-cache hit ratio\s+-\s+99\.0%/)
    expect(text).toMatch(/queue depth \(max\)\s+700\s+0/)
    expect(text).toContain('shadow renders (not user traffic)')
  })

  it('markdown: tables with the same figures', () => {
    const md = renderMarkdown(report)
    expect(md).toContain('# demo \\<report\\>')
    expect(md).toContain('| DB calls per request | 68.3 | 0.02 |')
    expect(md).toContain('| products.list | 10 | 1 | 20 | 1,000 | 500 | 500 | 102 |')
    expect(md).toContain('- queue `refresh`: depth 500 at the end, 700 at most')
  })

  it('html: one self-contained page, escaped, with the figures', () => {
    const html = renderHtml(report)
    expect(html.startsWith('<!doctype html>')).toBe(true)
    expect(html).toContain('<title>demo &lt;report&gt;</title>')
    expect(html).not.toMatch(/<script|<link|src=|url\(/i)
    expect(html).toContain('<style>')
    expect(html).toContain('<td>products.list</td><td>10</td>')
    expect(html).toContain('68.3 &rarr; 0.02')
  })

  it('json: the model itself, numbers unrounded', () => {
    const parsed = JSON.parse(renderJson(report)) as AmplificationReport
    expect(parsed.phases).toHaveLength(2)
    expect(parsed.phases[0]?.total.dbCallsPerRequest).toBeCloseTo(1025 / 15, 10)
    expect(parsed.phases[1]?.routes[0]).toMatchObject({ route: 'products.list', requests: 200, hitRatio: 0.99, dbCallsPerRequest: 0.02 })
  })
})
