import type { ShadowRecord } from '../../src/shadow/record.js'

/** A realistic stored shadow record for storage and report tests. */
export function sampleRecord(over: Partial<ShadowRecord> = {}): ShadowRecord {
  return {
    route: 'products.list', at: Date.UTC(2026, 10, 20, 12), method: 'GET', url: '/api/products?page=1', headers: { accept: 'application/json' },
    outcome: 'mismatch', cause: 'logic', error: null, candidateSource: 'cache', pageAgeMs: 1500,
    control: { status: 200, durationMs: 20, dbCalls: 1, redisCalls: 100, refreshJobs: 100 },
    candidate: { status: 200, durationMs: 1, dbCalls: 0, redisCalls: 1, refreshJobs: 0 },
    fresh: { status: 200, durationMs: 8, dbCalls: 1, redisCalls: 0, refreshJobs: 0 },
    diffs: [
      { path: '/items/0/price', shape: '/items/*/price', kind: 'value', control: 10.25, candidate: 10, cause: 'logic' },
      { path: '/generatedAt', shape: '/generatedAt', kind: 'value', control: 'a', candidate: 'b', cause: 'noise' },
      { path: '/meta', shape: '/meta', kind: 'extra', candidate: 1, cause: null, ignored: { rule: 'ignore', reason: 'metadata' } },
    ],
    patch: '===================================================================\n--- control GET /api/products?page=1\n+++ fresh page render\n@@ -3,3 +3,3 @@\n     {\n-      "price": 10.25\n+      "price": 10\n     }\n',
    ...over,
  }
}

/** The same record as a match. */
export const matchRecord = (over: Partial<ShadowRecord> = {}): ShadowRecord =>
  sampleRecord({ outcome: 'match', cause: null, diffs: [], patch: null, ...over })
