import { describe, expect, it } from 'vitest'
import { compileRules, diffJson } from '../../src/shadow/json-diff.js'
import { compilePattern, matchesPattern, parsePointer, stableStringify } from '../../src/shadow/path-pattern.js'

describe('path patterns', () => {
  it('parses escaped pointers and matches * and **', () => {
    expect(parsePointer('/a~1b/c~0d')).toEqual(['a/b', 'c~d'])
    expect(matchesPattern(compilePattern('/items/*/at'), ['items', '3', 'at'])).toBe(true)
    expect(matchesPattern(compilePattern('/items/*/at'), ['items', 'at'])).toBe(false)
    expect(matchesPattern(compilePattern('/**/at'), ['at'])).toBe(true)
    expect(matchesPattern(compilePattern('/**/at'), ['a', 'b', 'at'])).toBe(true)
  })
  it('prints canonical JSON regardless of key order', () => {
    expect(stableStringify({ b: 1, a: { d: 2, c: 3 } })).toBe(stableStringify({ a: { c: 3, d: 2 }, b: 1 }))
  })
})

describe('diffJson', () => {
  it('ignores key order and finds nothing in equal documents', () => {
    const r = diffJson({ a: 1, b: [1, { x: 'y', z: null }] }, { b: [1, { z: null, x: 'y' }], a: 1 })
    expect(r).toEqual({ diffs: [], equal: true, truncated: false })
  })

  it('reports each kind of difference at its path', () => {
    const r = diffJson(
      { price: 10, id: '1', gone: true, list: [1, 2, 3], sorted: [1, 2], deep: { v: 'a' } },
      { price: 11, id: 1, added: 'x', list: [1, 2], sorted: [2, 1], deep: { v: 'b' } },
    )
    expect(r.equal).toBe(false)
    expect(r.diffs).toEqual([
      { path: '/added', shape: '/added', kind: 'extra', candidate: 'x' },
      { path: '/deep/v', shape: '/deep/v', kind: 'value', control: 'a', candidate: 'b' },
      { path: '/gone', shape: '/gone', kind: 'missing', control: true },
      { path: '/id', shape: '/id', kind: 'type', control: '1', candidate: 1 },
      { path: '/list', shape: '/list', kind: 'length', control: 3, candidate: 2 },
      { path: '/price', shape: '/price', kind: 'value', control: 10, candidate: 11 },
      { path: '/sorted', shape: '/sorted', kind: 'order' },
    ])
  })

  it('gives array elements a shape with * so paths group across positions', () => {
    const r = diffJson({ items: [{ p: 1 }, { p: 2 }] }, { items: [{ p: 1 }, { p: 3 }] })
    expect(r.diffs).toEqual([{ path: '/items/1/p', shape: '/items/*/p', kind: 'value', control: 2, candidate: 3 }])
  })

  it('compares an array as a set keyed by a field', () => {
    const rules = compileRules({ sets: [{ path: '/items', key: 'id', reason: 'unordered in SQL' }] })
    const same = diffJson({ items: [{ id: 1, p: 1 }, { id: 2, p: 2 }] }, { items: [{ id: 2, p: 2 }, { id: 1, p: 1 }] }, rules)
    expect(same.diffs).toEqual([])
    const r = diffJson({ items: [{ id: 1, p: 1 }, { id: 2, p: 2 }] }, { items: [{ id: 2, p: 5 }, { id: 3, p: 1 }] }, rules)
    expect(r.diffs.map((d) => [d.path, d.shape, d.kind])).toEqual([
      ['/items/id=1', '/items/*', 'missing'],
      ['/items/id=2/p', '/items/*/p', 'value'],
      ['/items/id=3', '/items/*', 'extra'],
    ])
  })

  it('keeps ignored differences, marked with the rule reason', () => {
    const rules = compileRules({ ignore: [{ path: '/meta', reason: 'request metadata' }] })
    const r = diffJson({ meta: { id: 'a' }, v: 1 }, { meta: { id: 'b' }, v: 1 }, rules)
    expect(r.equal).toBe(true)
    expect(r.diffs).toEqual([
      { path: '/meta/id', shape: '/meta/id', kind: 'value', control: 'a', candidate: 'b', ignored: { rule: 'ignore', reason: 'request metadata' } },
    ])
  })

  it('applies numeric tolerance only within its bound', () => {
    const rules = compileRules({ tolerance: [{ path: '/items/*/price', absolute: 0.005, reason: 'float sum' }] })
    const ok = diffJson({ items: [{ price: 1.1 }] }, { items: [{ price: 1.1000001 }] }, rules)
    expect(ok.equal).toBe(true)
    expect(ok.diffs[0]?.ignored).toEqual({ rule: 'tolerance', reason: 'float sum' })
    const bad = diffJson({ items: [{ price: 1.1 }] }, { items: [{ price: 1.11 }] }, rules)
    expect(bad.equal).toBe(false)
    expect(bad.diffs[0]?.ignored).toBeUndefined()
  })

  it('normalizes UUIDs and timestamps', () => {
    const rules = compileRules({
      normalize: [
        { path: '/rid', as: 'uuid', reason: 'request id' },
        { path: '/**/at', as: 'timestamp', reason: 'render time' },
      ],
    })
    const r = diffJson(
      { rid: 'req-6f1c2a8e-1b2c-4d3e-8f9a-0b1c2d3e4f5a', x: { at: '2026-01-01T00:00:00Z' }, when: 'a' },
      { rid: 'req-0a1b2c3d-1b2c-4d3e-8f9a-0b1c2d3e4f5a', x: { at: '2026-01-02T10:11:12.5Z' }, when: 'b' },
      rules,
    )
    expect(r.diffs.map((d) => [d.path, d.ignored?.rule])).toEqual([
      ['/rid', 'normalize'],
      ['/when', undefined],
      ['/x/at', 'normalize'],
    ])
  })

  it('stops at maxDiffs and says so', () => {
    const a = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`k${i}`, i]))
    const r = diffJson(a, {}, compileRules({ maxDiffs: 3 }))
    expect(r.diffs).toHaveLength(3)
    expect(r.truncated).toBe(true)
  })

  it('rejects malformed rules with a coded error naming the rule', () => {
    expect(() => compileRules({ ignore: [{ path: 'meta', reason: 'x' }] })).toThrow(/ignore\[0\]\.path/)
    expect(() => compileRules({ ignore: [{ path: '/meta', reason: '' }] })).toThrow(/ignore\[0\]\.reason/)
    expect(() => compileRules({ tolerance: [{ path: '/a', reason: 'r' }] })).toThrow(/tolerance\[0\]/)
    expect(() => compileRules({ bogus: [] } as never)).toThrow(/bogus/)
    expect(() => compileRules({ normalize: [{ path: '/a', as: 'date' as never, reason: 'r' }] })).toThrow(
      expect.objectContaining({ code: 'CUTOVER_ERR_SHADOW_RULES_INVALID' }),
    )
  })
})
