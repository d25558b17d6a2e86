import { describe, expect, it } from 'vitest'
import { renderShadowHtml } from '../../src/report/shadow-html.js'
import { renderShadowJson, renderShadowMarkdown } from '../../src/report/shadow-markdown.js'
import { buildShadowReport, curlFor, type DiffCountRow, type ExampleRow, pathTree, percentile, type SampleRow } from '../../src/report/shadow-model.js'
import { shadowVerdict } from '../../src/report/shadow-verdict.js'

const sample = (over: Partial<SampleRow> = {}): SampleRow => ({
  route: 'products.list', outcome: 'match', cause: null, pageAgeMs: null, controlMs: 20, candidateMs: 2, controlDbCalls: 101, candidateDbCalls: 0, ...over,
})

describe('readiness verdict', () => {
  it('is not ready when the cached side was not verified (every candidate a fresh render), though everything matched', () => {
    const fresh = { samples: 1000, mismatches: 0, logic: 0, leak: 0, controlP95: 30, candidateP95: 5 }
    expect(shadowVerdict({ ...fresh, cachedSamples: 0 })).toMatchObject({ ready: false })
    expect(shadowVerdict({ ...fresh, cachedSamples: 0 }).checks.find((c) => c.name === 'cached')?.detail).toMatch(/cached side not verified/)
    expect(shadowVerdict({ ...fresh, cachedSamples: 20 }).ready).toBe(true)
    expect(shadowVerdict({ ...fresh, cachedSamples: 5 }, { minCachedSamples: 5 }).ready).toBe(true)
  })

  const good = { samples: 1000, mismatches: 0, logic: 0, leak: 0, controlP95: 30, candidateP95: 5 }
  it('is ready only when every check passes', () => {
    expect(shadowVerdict(good)).toMatchObject({ ready: true })
    expect(shadowVerdict({ ...good, samples: 50 }).checks.find((c) => c.name === 'samples')?.ok).toBe(false)
    // 5 mismatches in 1000: rate 0.5 %, but the upper bound (~1.17 %) is over 1 %.
    expect(shadowVerdict({ ...good, mismatches: 5 }).checks.find((c) => c.name === 'mismatch')).toMatchObject({ ok: false })
    expect(shadowVerdict({ ...good, mismatches: 5 }, { maxMismatchRate: 0.02 }).ready).toBe(true)
    expect(shadowVerdict({ ...good, logic: 1, mismatches: 1 }, { maxMismatchRate: 0.5 }).ready).toBe(false)
    expect(shadowVerdict({ ...good, leak: 1, mismatches: 1 }, { maxMismatchRate: 0.5 }).checks.find((c) => c.name === 'leak')?.ok).toBe(false)
    expect(shadowVerdict({ ...good, candidateP95: 34 }).checks.find((c) => c.name === 'latency')?.ok).toBe(false)
    expect(shadowVerdict({ ...good, candidateP95: null }).ready).toBe(false)
  })
})

describe('report model', () => {
  it('computes nearest-rank percentiles', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1)
    expect([percentile(v, 0.5), percentile(v, 0.95), percentile(v, 0.99)]).toEqual([50, 95, 99])
    expect(percentile([], 0.5)).toBeNull()
  })

  it('builds a tree of differing paths with counts per cause at each level', () => {
    const rows: DiffCountRow[] = [
      { route: 'r', shape: '/items/*/price', cause: 'logic', ignoredReason: null, samples: 3 },
      { route: 'r', shape: '/items/*/name', cause: 'staleness', ignoredReason: null, samples: 1 },
      { route: 'r', shape: '/meta/id', cause: null, ignoredReason: 'ignore: request id', samples: 7 },
      { route: 'r', shape: '@header/etag', cause: 'noise', ignoredReason: null, samples: 2 },
    ]
    const t = pathTree(rows)
    expect(t.map((n) => [n.name, n.counts])).toEqual([
      ['meta', { ignored: 7 }],
      ['items', { logic: 3, staleness: 1 }],
      ['@header', { noise: 2 }],
    ])
    expect(t[1]!.children[0]!.children.map((n) => [n.path, n.counts])).toEqual([
      ['/items/*/price', { logic: 3 }],
      ['/items/*/name', { staleness: 1 }],
    ])
    expect(t[0]!.children[0]!.ignoredReasons).toEqual(['ignore: request id'])
  })

  it('builds a copy-as-curl line without secret headers, quoted for the shell', () => {
    expect(curlFor('http://localhost:3000/', { method: 'GET', url: "/a?q=it's", headers: { accept: 'application/json', authorization: '[redacted]', host: 'x' } })).toBe(
      `curl -sS 'http://localhost:3000/a?q=it'\\''s' -H 'accept: application/json'`,
    )
  })

  it('counts the refresh reads a side queued into its DB calls per request, as the amplification meter does', () => {
    const samples = [
      sample({ controlDbCalls: 1, controlRefreshJobs: 100, candidateDbCalls: 0, candidateRefreshJobs: 0 }),
      sample({ controlDbCalls: 0, controlRefreshJobs: 100, candidateDbCalls: 1, candidateRefreshJobs: 0 }),
    ]
    const r = buildShadowReport({ samples, diffs: [], examples: [] }, { generatedAt: 0, window: { from: null, to: null } }).routes[0]!
    expect(r.dbCallsPerRequest).toEqual({ control: 100.5, candidate: 0.5 })
    expect(r.refreshJobsPerRequest).toEqual({ control: 100, candidate: 0 })
  })

  it('takes the stale page age from every sample with a staleness difference, also where logic ranks first', () => {
    const samples = [
      sample({ outcome: 'mismatch', cause: 'logic', pageAgeMs: 12_000, stale: true }),
      sample({ outcome: 'mismatch', cause: 'logic', pageAgeMs: 99_000, stale: false }),
      sample({ outcome: 'mismatch', cause: 'staleness', pageAgeMs: 4_000 }),
    ]
    const r = buildShadowReport({ samples, diffs: [], examples: [] }, { generatedAt: 0, window: { from: null, to: null } }).routes[0]!
    // 99 s is not among them: that sample had no staleness difference.
    expect(r.stalePageAge).toEqual({ p50: 4_000, max: 12_000 })
  })

  it('gives the configured and the achieved sample rate, each sample standing for 1/effective-rate requests', () => {
    // 10 samples drawn at the full 10% (100 requests), 4 while the budget held it at 2% (200 requests): 14 of 300.
    const samples = [
      ...Array.from({ length: 10 }, () => sample({ sampleRate: 0.1, effectiveRate: 0.1 })),
      ...Array.from({ length: 4 }, () => sample({ sampleRate: 0.1, effectiveRate: 0.02 })),
      sample({ sampleRate: null, effectiveRate: null }),
    ]
    const report = buildShadowReport({ samples, diffs: [], examples: [] }, { generatedAt: 0, window: { from: null, to: null } })
    const r = report.routes[0]!
    expect(r.sampleRate?.configured).toBeCloseTo(0.1, 10)
    expect(r.sampleRate?.achieved).toBeCloseTo(14 / 300, 10)
    expect(renderShadowMarkdown(report)).toContain("Sample rate: 10.00% configured, 4.67% achieved (the shadows' CPU budget, shadowLimits.maxLoopShare, lowered it).")
    expect(renderShadowHtml(report)).toContain('10.00% configured, 4.67% achieved')
    // Rows from before the rates were recorded: nothing said.
    expect(buildShadowReport({ samples: [sample()], diffs: [], examples: [] }, { generatedAt: 0, window: { from: null, to: null } }).routes[0]!.sampleRate).toBeNull()
  })

  it('counts samples, causes, match rate, latency and DB calls per route', () => {
    const samples = [
      ...Array.from({ length: 6 }, () => sample()),
      sample({ outcome: 'mismatch', cause: 'logic', controlMs: 40, candidateMs: 4 }),
      sample({ outcome: 'mismatch', cause: 'noise' }),
      sample({ outcome: 'mismatch', cause: 'staleness', pageAgeMs: 30_000 }),
      sample({ outcome: 'error', candidateMs: null }),
      sample({ route: 'other' }),
    ]
    const examples: ExampleRow[] = [
      { route: 'products.list', shape: '/generatedAt', cause: 'noise', at: 2, method: 'GET', url: '/p', headers: {}, patch: null, pageAgeMs: null },
      { route: 'products.list', shape: '/items/*/price', cause: 'logic', at: 1, method: 'GET', url: '/p', headers: {}, patch: '-a\n+b\n', pageAgeMs: null },
    ]
    const report = buildShadowReport({ samples, diffs: [], examples }, { generatedAt: 0, window: { from: null, to: null }, policy: { minSamples: 5 } })
    expect(report.routes.map((r) => r.route)).toEqual(['other', 'products.list'])
    const r = report.routes[1]!
    expect(r).toMatchObject({ samples: 9, errors: 1, matches: 6, mismatches: { leak: 0, logic: 1, unexplained: 0, staleness: 1, noise: 1 } })
    expect(r.matchRate.rate).toBeCloseTo(7 / 9, 6)
    expect(r.latency.control).toEqual({ p50: 20, p95: 40, p99: 40 })
    expect(r.dbCallsPerRequest).toEqual({ control: 101, candidate: 0 })
    // Rows from before refresh jobs were recorded: nothing known of them.
    expect(r.refreshJobsPerRequest).toEqual({ control: null, candidate: null })
    expect(r.stalePageAge).toEqual({ p50: 30_000, max: 30_000 })
    expect(r.examples.map((e) => e.cause)).toEqual(['logic', 'noise'])
    expect(r.verdict.ready).toBe(false)
    // One sample read a cached page: the cached side is not verified either.
    // minSamples 5 lowers the latency minimum to 5: the 8 samples with both latencies are compared.
    expect(r.verdict.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(['mismatch', 'logic', 'cached'])
    expect(r.verdict.checks.find((c) => c.name === 'cached')?.detail).toMatch(/^cached side not verified: 1 samples compared a cached page, 20 needed/)
  })

  it('renders self-contained HTML, Markdown and stable JSON', () => {
    const examples: ExampleRow[] = [
      { route: 'r<x>', shape: '/p', cause: 'logic', at: 1, method: 'GET', url: '/p', headers: { accept: '*/*' }, patch: '--- control\n+++ cand\n@@ -1 +1 @@\n-1\n+2\n', pageAgeMs: null },
    ]
    const report = buildShadowReport(
      { samples: [sample({ route: 'r<x>', outcome: 'mismatch', cause: 'logic' })], diffs: [{ route: 'r<x>', shape: '/p', cause: 'logic', ignoredReason: null, samples: 1 }], examples },
      { generatedAt: 0, window: { from: 0, to: 1000 } },
    )
    const html = renderShadowHtml(report)
    expect(html).toContain('r&lt;x&gt;')
    expect(html).not.toContain('r<x>')
    expect(html).toContain('<span class="add">+2</span>')
    expect(html).toContain('<span class="del">-1</span>')
    expect(html).not.toMatch(/<script|<link|src=|url\(/i)
    const md = renderShadowMarkdown(report)
    expect(md).toContain('```diff')
    expect(md).toContain('- **fail** logic: 1 logic mismatches')
    const json = JSON.parse(renderShadowJson(report)) as { schema: string; routes: Array<{ verdict: { ready: boolean } }> }
    expect(json.schema).toBe('cutover.shadow-report/v1')
    expect(renderShadowJson(report)).toBe(renderShadowJson(JSON.parse(renderShadowJson(report)) as typeof report))
  })

})
