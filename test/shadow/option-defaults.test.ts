import { describe, expect, it } from 'vitest'
import { withDefaults } from '../../src/shadow/option-defaults.js'

interface Opts {
  a?: number
  b?: string
}

describe('withDefaults', () => {
  const defaults: Required<Opts> = { a: 1, b: 'x' }

  it('takes each option left out, or given as undefined, from the defaults', () => {
    expect(withDefaults(defaults, {})).toEqual({ a: 1, b: 'x' })
    expect(withDefaults<{ a?: number | undefined; b?: string }>(defaults, { a: undefined, b: 'y' })).toEqual({ a: 1, b: 'y' })
  })

  it('keeps a given 0, drops keys the defaults lack, and freezes the result', () => {
    const merged = withDefaults(defaults, { a: 0, c: true } as Opts)
    expect(merged).toEqual({ a: 0, b: 'x' })
    expect(Object.isFrozen(merged)).toBe(true)
    expect(defaults).toEqual({ a: 1, b: 'x' })
  })
})
