import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import * as errors from '../src/errors.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')

describe('error codes', () => {
  const entries = Object.entries(errors)

  it('exports at least one error', () => {
    expect(entries.length).toBeGreaterThan(0)
  })

  it.each(entries)('%s is named for its code, follows the pattern and is in the README', (name, ctor) => {
    const err = new (ctor as new (...a: unknown[]) => Error & { code: string })('a', 'b', 'c')
    expect(err.code).toBe(name)
    expect(err.code).toMatch(/^CUTOVER_ERR_[A-Z]+(_[A-Z]+)+$/)
    expect(readme).toContain('`' + name + '`')
  })
})
