import { describe, expect, it } from 'vitest'
import { diffText, prettyBody, unifiedDiff } from '../../src/shadow/text-diff.js'

describe('text diff', () => {
  it('counts changed lines', () => {
    expect(diffText('a\nb\nc\n', 'a\nB\nc\nd\n')).toEqual({ removed: 1, added: 2, tooLarge: false })
    expect(diffText('same', 'same')).toEqual({ removed: 0, added: 0, tooLarge: false })
  })

  it('gives up past maxEditLength instead of diffing forever', () => {
    const a = Array.from({ length: 200 }, (_, i) => `a${i}`).join('\n')
    const b = Array.from({ length: 200 }, (_, i) => `b${i}`).join('\n')
    expect(diffText(a, b, 10)).toEqual({ removed: 200, added: 200, tooLarge: true })
  })

  it('builds a unified diff of stably pretty-printed JSON, key order ignored', () => {
    const control = prettyBody(undefined, { b: 1, a: { price: 10 } })
    const candidate = prettyBody(undefined, { a: { price: 11 }, b: 1 })
    const patch = unifiedDiff({ control: 'control', candidate: 'candidate' }, control, candidate)
    expect(patch).toContain('--- control')
    expect(patch).toContain('+++ candidate')
    expect(patch).toContain('-    "price": 10')
    expect(patch).toContain('+    "price": 11')
    expect(unifiedDiff({ control: 'c', candidate: 'd' }, control, control)).toBeUndefined()
    expect(prettyBody('plain', undefined)).toBe('plain\n')
  })
})
