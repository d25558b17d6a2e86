import { describe, expect, it } from 'vitest'
import { describeValue } from '../src/describe-value.js'

describe('describeValue', () => {
  it('writes JSON values as JSON', () => {
    expect(describeValue('30s')).toBe('"30s"')
    expect(describeValue(12.5)).toBe('12.5')
    expect(describeValue(null)).toBe('null')
    expect(describeValue([200, '404'])).toBe('[200,"404"]')
    expect(describeValue({ a: { b: [true] } })).toBe('{"a":{"b":[true]}}')
  })

  it.each([
    [NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
    [[1, NaN], '[ 1, NaN ]'],
    [{ ttl: Infinity }, '{ ttl: Infinity }'],
    [[undefined], '[ undefined ]'],
    [{ a: undefined }, '{ a: undefined }'],
    [10n, '10n'],
    [undefined, 'undefined'],
  ])('names %s as it is, not as JSON would write it', (value, shown) => {
    expect(describeValue(value)).toBe(shown)
  })

  it('never throws: bigints inside objects, cycles, symbols, class instances', () => {
    const cyclic: Record<string, unknown> = { a: 1 }
    cyclic.self = cyclic
    expect(describeValue({ n: 1n })).toBe('{ n: 1n }')
    expect(describeValue(cyclic)).toContain('[Circular')
    expect(describeValue(Symbol('s'))).toBe('Symbol(s)')
    expect(describeValue(new Map([['a', 1]]))).toBe("Map(1) { 'a' => 1 }")
    expect(describeValue(() => 1)).toBe('a function')
  })
})
