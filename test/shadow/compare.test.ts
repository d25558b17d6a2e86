import { afterEach, describe, expect, it, vi } from 'vitest'
import { compareResponses, type ResponseSide } from '../../src/shadow/compare.js'
import { compileRules } from '../../src/shadow/json-diff.js'

const side = (body: string, over: Partial<ResponseSide> = {}): ResponseSide => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: Buffer.from(body),
  ...over,
})

afterEach(() => {
  vi.restoreAllMocks()
})

describe('compareResponses', () => {
  it('does not parse bodies that are equal byte for byte (the common sample)', () => {
    const parse = vi.spyOn(JSON, 'parse')
    const body = JSON.stringify({ items: [{ id: 1, price: 10 }], page: 1 })
    const r = compareResponses(side(body), side(body), compileRules())
    expect(r).toEqual({ diffs: [], equal: true, truncated: false })
    expect(parse).not.toHaveBeenCalled()
  })

  it('still reports status and header differences when the bodies are the same bytes', () => {
    const body = '{"a":1}'
    const r = compareResponses(side(body), side(body, { status: 404, headers: { 'content-type': 'text/plain', 'set-cookie': 's=1' } }), compileRules())
    expect(r.equal).toBe(false)
    expect(r.diffs.map((d) => d.path)).toEqual(['@status', '@header/content-type', '@header/set-cookie'])
  })

  it('compares different bytes as JSON: key order alone is no difference, a changed value is', () => {
    expect(compareResponses(side('{"a":1,"b":2}'), side('{"b":2,"a":1}'), compileRules()).equal).toBe(true)
    const r = compareResponses(side('{"a":1,"b":2}'), side('{"b":3,"a":1}'), compileRules())
    expect(r.diffs).toEqual([{ path: '/b', shape: '/b', kind: 'value', control: 2, candidate: 3 }])
  })

  it('walks only the unequal elements of an array', () => {
    const items = (price: number) => Array.from({ length: 50 }, (_, i) => ({ id: i, price: i === 7 ? price : i }))
    const r = compareResponses(side(JSON.stringify({ items: items(7) })), side(JSON.stringify({ items: items(8) })), compileRules())
    expect(r.diffs).toEqual([{ path: '/items/7/price', shape: '/items/*/price', kind: 'value', control: 7, candidate: 8 }])
  })
})
