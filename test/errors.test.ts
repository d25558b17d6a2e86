import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as errors from '../src/errors.js'

const reference = readFileSync(new URL('../docs/reference/errors.md', import.meta.url), 'utf8')

describe('error codes', () => {
  const entries = Object.entries(errors)

  it('exports at least one error', () => {
    expect(entries.length).toBeGreaterThan(0)
  })

  it.each(entries)('%s is named for its code, follows the pattern, has a hint and is in docs/reference/errors.md', (name, ctor) => {
    const err = new (ctor as new (...a: unknown[]) => Error & { code: string })('a', 'b', 'c')
    expect(err.code).toBe(name)
    expect(err.code).toMatch(/^CUTOVER_ERR_[A-Z]+(_[A-Z]+)+$/)
    const { hint } = ctor as { hint?: { when?: unknown; fix?: unknown } }
    expect(typeof hint?.when === 'string' && hint.when.length > 20, `${name} says when it is thrown`).toBe(true)
    expect(typeof hint?.fix === 'string' && hint.fix.length > 20, `${name} says how to fix it`).toBe(true)
    expect(reference).toContain(`### ${name}\n`)
    expect(reference).toContain(hint?.fix as string)
  })
})
