import { describe, expect, it } from 'vitest'
import { summarize } from '../../src/report/amplification.js'
import { renderTimelineHtml } from '../../src/report/timeline-html.js'
import { renderTimelineJson, renderTimelineMarkdown } from '../../src/report/timeline-markdown.js'
import type { SummaryPhase, TimelineData } from '../../src/report/timeline-model.js'
import { cleanRoute, drainStage, faultyRoute, journal } from '../helpers/week-journal.js'

const empty = (label: string): SummaryPhase => ({
  snapshot: summarize({ from: 0, to: 1000, bucketSeconds: 1, user: new Map(), shadow: new Map(), queues: new Map(), backlog: new Map() }, { label, durationSeconds: 1 }),
  comSelect: 0,
  comSelectPerRequest: null,
})

function data(): TimelineData {
  const events = journal([...faultyRoute('products.list'), ...cleanRoute('products.get'), drainStage])
  const point = { requests: 10, dbCallsPerRequest: 2, p50Ms: 3, p99Ms: 9, hitRatio: 0.5, compared: 2, matchRate: 0 }
  return {
    title: 'week <b>demo</b>', generatedAt: '2026-01-01T00:00:00.000Z', playbook: 'week', faults: true, timeScale: 1000,
    startedAt: 1_000_000, endedAt: 1_000_000 + events.length * 3600, routes: ['products.list', 'products.get'],
    samples: [1, 2, 3].map((i) => ({ at: 1_000_000 + i * 10_000, routes: { 'products.list': point, 'products.get': point }, queue: { depth: 100 * i, drainRate: i } })),
    events,
    holds: [{ route: 'products.list', stage: 'shadow', gate: 'logicMismatches', from: 1_010_000, to: 1_012_000, detail: '5 of 200 compared shadow samples needed' }],
    findings: [{ cause: 'logic', count: 3, example: { route: 'products.list', url: '/api/products?page=1', at: 0, shape: 'items[*].priceCents', patch: '--- legacy\n+++ page\n@@ -1 +1 @@\n-"priceCents": 1999\n+"priceCents": 2000\n' } }],
    before: empty('before'), after: empty('after'),
    story: [{ ok: true, text: 'caught <it>' }, { ok: false, text: 'retired' }],
    drained: 42,
  }
}

describe('timeline report renderers', () => {
  it('HTML: stages, decisions, the hold for samples, a failed gate linked to its finding, escaped text, no script or external asset', () => {
    const html = renderTimelineHtml(data())
    expect(html).toContain('<title>week &lt;b&gt;demo&lt;/b&gt;</title>')
    expect(html).toContain('caught &lt;it&gt;')
    expect(html).toMatch(/<section class="route" id="route-products\.list">[\s\S]*data-kind="held for samples"[\s\S]*<a href="#finding-logic"><g class="mark" data-kind="failed">/)
    expect(html).toContain('<div class="finding" id="finding-logic">')
    expect(html).toContain('<span class="add">+&quot;priceCents&quot;: 2000</span>')
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i)
    // Every chart has its points: 3 samples per series (four charts per route, two for the queue).
    expect([...html.matchAll(/<svg class="chart"[^>]*data-points="(\d+)"/g)].map((m) => Number(m[1]))).toEqual([3, 6, 3, 3, 3, 6, 3, 3, 3, 3])
  })

  it('Markdown and JSON: the summary, the story, delivery figures, decisions, holds and findings', () => {
    const md = renderTimelineMarkdown(data())
    expect(md).toContain('| DB calls/request (MySQL Com_select) | - | - |')
    expect(md).toContain('- [ ] **not as scripted:** retired')
    expect(md).toMatch(/\| products\.get \| 5 \| 4 \| 0 \| 6h 0m \| 21\.6 s \|/)
    expect(md).toContain('| products.list | shadow | logicMismatches | 10.0 s | 12.0 s | 5 of 200 compared shadow samples needed |')
    expect(md).toContain('```diff\n--- legacy')
    const json = JSON.parse(renderTimelineJson(data())) as { delivery: { changeFailureRate: number }; decisions: unknown[] }
    expect(json.delivery.changeFailureRate).toBeCloseTo(2 / 9)
    expect(json.decisions.length).toBeGreaterThan(5)
  })
})
