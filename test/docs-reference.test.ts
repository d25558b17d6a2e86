// The option references say what the code checks: every option the code knows
// has a row, every row names an option the code knows, and each default in
// the row is the code's default.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { MODE_OPTION_KEYS, SHADOW_LIMIT_DEFAULTS } from '../src/modes/options.js'
import { DEFAULTS, resolveOptions } from '../src/pagecache/options.js'
import { resolveRouteConfig, ROUTE_DEFAULTS } from '../src/pagecache/route-config.js'

const read = (path: string): string => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8')

/** A table row's cells (a `\|` inside a cell is a pipe, not a border). */
function cells(line: string): string[] {
  return line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim().replaceAll('\\|', '|'))
}

/** Option name -> its row's cells (option, type, default, unit and range, meaning), from the option tables. */
function table(page: string): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const line of page.split('\n')) {
    const name = /^\| `([\w.]+)` \|/.exec(line)?.[1]
    if (name) out.set(name, cells(line))
  }
  return out
}

/** Option name -> its default cell. */
const rows = (page: string): Map<string, string> => new Map([...table(page)].map(([name, row]) => [name, row[2] ?? '']))
/** Option name -> its unit and range cell. */
const units = (page: string): Map<string, string> => new Map([...table(page)].map(([name, row]) => [name, row[3] ?? '']))

/** The names an unknown-key error lists as known. */
function knownFrom(fn: () => unknown): string[] {
  try {
    fn()
  } catch (err) {
    const list = /known options are: (.*)$/.exec((err as Error).message)?.[1]
    if (list) return list.split(', ')
  }
  throw new Error('expected an unknown-option error listing the known options')
}

describe('docs/reference/plugin-options.md', () => {
  const defaults = rows(read('docs/reference/plugin-options.md'))

  it('has a row for every option the plugin accepts, and no other', () => {
    const known = knownFrom(() => resolveOptions({ notAnOption: 1 }, MODE_OPTION_KEYS))
    const documented = new Set([...defaults.keys()].map((name) => name.split('.')[0]))
    expect([...documented].sort()).toEqual([...known].sort())
  })

  it('gives the defaults the code applies', () => {
    const expected: Record<string, string | number> = {
      prefix: `'${DEFAULTS.prefix}'`,
      'memory.maxBytes': DEFAULTS.memoryMaxBytes,
      'memory.maxTtl': DEFAULTS.memoryMaxTtl,
      timeout: DEFAULTS.timeout,
      'breaker.failures': DEFAULTS.breaker.failures,
      'breaker.cooldown': DEFAULTS.breaker.cooldown,
      'lease.ttl': DEFAULTS.lease.ttl,
      'lease.wait': DEFAULTS.lease.wait,
      'lease.poll': DEFAULTS.lease.poll,
      passTtl: DEFAULTS.passTtl,
      xfetchBeta: DEFAULTS.xfetchBeta,
      'shadowLimits.maxConcurrent': SHADOW_LIMIT_DEFAULTS.maxConcurrent,
      'shadowLimits.timeout': SHADOW_LIMIT_DEFAULTS.timeout,
    }
    for (const [name, value] of Object.entries(expected)) expect(defaults.get(name), name).toMatch(new RegExp(`^\`${String(value)}\``))
  })

  it('says the unit the code reads: ms for durations, seconds for lifetimes', () => {
    const unit = units(read('docs/reference/plugin-options.md'))
    for (const name of ['timeout', 'breaker.cooldown', 'lease.ttl', 'lease.wait', 'lease.poll', 'shadowLimits.timeout']) expect(unit.get(name), name).toMatch(/^ms\b/)
    for (const name of ['memory.maxTtl', 'passTtl']) expect(unit.get(name), name).toMatch(/^seconds\b/)
    expect(unit.get('memory.maxBytes')).toMatch(/^bytes\b/)
  })
})

describe('docs/reference/route-options.md', () => {
  const defaults = rows(read('docs/reference/route-options.md'))

  it('has a row for every key config.cutover accepts, and no other', () => {
    const known = knownFrom(() => resolveRouteConfig('(GET /)', { id: 'r', ttl: 1, notAnOption: 1 }))
    expect([...defaults.keys()].sort()).toEqual([...known].sort())
  })

  it('gives the defaults the code applies', () => {
    const expected: Record<string, string> = {
      stale: String(ROUTE_DEFAULTS.stale),
      tags: JSON.stringify(ROUTE_DEFAULTS.tags),
      vary: JSON.stringify(ROUTE_DEFAULTS.vary),
      query: String(ROUTE_DEFAULTS.query),
      statuses: JSON.stringify(ROUTE_DEFAULTS.statuses),
      maxBytes: String(ROUTE_DEFAULTS.maxBytes),
      followOrigin: String(ROUTE_DEFAULTS.followOrigin),
      mode: `'${ROUTE_DEFAULTS.mode}'`,
    }
    for (const [name, value] of Object.entries(expected)) expect(defaults.get(name), name).toMatch(new RegExp(`^\`${value.replace(/[[\]]/g, '\\$&')}\``))
  })

  it('says the unit the code reads: seconds for lifetimes, bytes for sizes', () => {
    const unit = units(read('docs/reference/route-options.md'))
    for (const name of ['ttl', 'stale']) expect(unit.get(name), name).toMatch(/^seconds\b/)
    expect(unit.get('maxBytes')).toMatch(/^bytes\b/)
  })
})
