import { describe, expect, it } from 'vitest'
import { ShadowBreaker } from '../../src/shadow/breaker.js'
import { classify } from '../../src/shadow/classify.js'
import type { PathDiff } from '../../src/shadow/json-diff.js'
import { findLeaks, IdentityValues, userValues } from '../../src/shadow/leak.js'
import { NoiseModel } from '../../src/shadow/noise-model.js'
import { compilePattern } from '../../src/shadow/path-pattern.js'
import { wilson, zFor } from '../../src/shadow/wilson.js'

const d = (path: string, extra: Partial<PathDiff> = {}): PathDiff => ({ path, shape: path.replace(/\/\d+/g, '/*'), kind: 'value', control: 1, candidate: 2, ...extra })
const never = (): boolean => false

describe('wilson', () => {
  it('matches known values', () => {
    expect(zFor(0.95)).toBeCloseTo(1.959964, 4)
    expect(zFor(0.99)).toBeCloseTo(2.575829, 4)
    const w = wilson(95, 100)
    expect(w.lower).toBeCloseTo(0.8882, 3)
    expect(w.upper).toBeCloseTo(0.9785, 3)
    expect(wilson(0, 0)).toEqual({ rate: 0, lower: 0, upper: 1 })
    expect(wilson(0, 50).upper).toBeCloseTo(0.0714, 3)
  })
})

describe('classify', () => {
  it('calls a path stale when the fresh render matches the control there', () => {
    const c = classify({ primary: [d('/price')], fresh: [], candidateIsFresh: false, isNoise: never, leaks: [] })
    expect(c).toMatchObject({ outcome: 'mismatch', cause: 'staleness', diffs: [{ path: '/price', cause: 'staleness' }] })
  })

  it('calls a path logic when the fresh render differs there too, or the candidate is fresh', () => {
    expect(classify({ primary: [d('/price')], fresh: [d('/price')], candidateIsFresh: false, isNoise: never, leaks: [] }).cause).toBe('logic')
    expect(classify({ primary: [d('/price')], candidateIsFresh: true, isNoise: never, leaks: [] }).cause).toBe('logic')
    expect(classify({ primary: [d('/price')], candidateIsFresh: false, isNoise: never, leaks: [] }).cause).toBe('unexplained')
  })

  it('calls a difference only the fresh render shows logic (the cache hides it for now), unless it is noise', () => {
    const c = classify({ primary: [], fresh: [d('/price'), d('/at')], candidateIsFresh: false, isNoise: (s) => s === '/at', leaks: [] })
    expect(c).toMatchObject({ outcome: 'mismatch', cause: 'logic', diffs: [{ path: '/price', cause: 'logic' }] })
    expect(c.diffs).toHaveLength(1)
  })

  it('calls a path noise when the secondary differed there or the model has learned it', () => {
    const byShape = classify({ primary: [d('/items/3/at')], secondary: [d('/items/0/at')], candidateIsFresh: true, isNoise: never, leaks: [] })
    expect(byShape.cause).toBe('noise')
    const learned = classify({ primary: [d('/at')], fresh: [d('/at')], candidateIsFresh: false, isNoise: (s) => s === '/at', leaks: [] })
    expect(learned.cause).toBe('noise')
  })

  it('surfaces a leak first, whatever else differs', () => {
    const c = classify({
      primary: [d('/a'), d('/user/email')],
      candidateIsFresh: true,
      isNoise: never,
      leaks: [{ path: '/user/email', shape: '/user/email', detail: 'x' }, { path: '@header/set-cookie', shape: '@header/set-cookie', detail: 'y' }],
    })
    expect(c.cause).toBe('leak')
    expect(c.diffs.map((x) => [x.path, x.cause])).toEqual([
      ['/user/email', 'leak'],
      ['@header/set-cookie', 'leak'],
      ['/a', 'logic'],
    ])
  })

  it('is a match when every difference is ignored by a rule', () => {
    const c = classify({ primary: [d('/a', { ignored: { rule: 'ignore', reason: 'r' } })], candidateIsFresh: true, isNoise: never, leaks: [] })
    expect(c).toMatchObject({ outcome: 'match', cause: null, diffs: [{ path: '/a', cause: null }] })
  })
})

describe('noise model', () => {
  it('needs several consistent observations, not one coincidence', () => {
    const m = new NoiseModel()
    m.observe('r', ['/at'], ['/price'], 0)
    expect(m.isNoise('r', '/at', 0)).toBe(false)
    for (let i = 0; i < 4; i++) m.observe('r', ['/at'], [], 0)
    expect(m.isNoise('r', '/at', 0)).toBe(true)
    expect(m.isNoise('r', '/price', 0)).toBe(false)
  })

  it('does not call a rarely noisy path noise', () => {
    const m = new NoiseModel()
    for (let i = 0; i < 40; i++) m.observe('r', i % 10 === 0 ? ['/slot'] : [], ['/slot'], 0)
    expect(m.estimate('r', '/slot', 0).lower).toBeLessThan(0.5)
    expect(m.isNoise('r', '/slot', 0)).toBe(false)
  })

  it('forgets old evidence: after many half-lives a quiet path is no longer noise', () => {
    const m = new NoiseModel({ halfLifeMs: 1000 })
    for (let i = 0; i < 10; i++) m.observe('r', ['/at'], [], 0)
    expect(m.isNoise('r', '/at', 0)).toBe(true)
    expect(m.estimate('r', '/at', 10_000).noisy).toBeCloseTo(10 / 1024, 5)
    for (let i = 0; i < 3; i++) m.observe('r', [], ['/at'], 10_000)
    expect(m.isNoise('r', '/at', 10_000)).toBe(false)
  })
})

describe('leaks', () => {
  it('finds another identity\'s value and a Set-Cookie on the cached page', () => {
    const p = [compilePattern('/account/email')]
    const memory = new IdentityValues()
    memory.remember('acct', 'alice', userValues({ account: { email: 'a@x' } }, p))
    const leaks = findLeaks({
      route: 'acct',
      identity: 'bob',
      cachedHeaders: { 'Set-Cookie': 'sid=1' },
      control: userValues({ account: { email: 'b@x' } }, p),
      cached: userValues({ account: { email: 'a@x' } }, p),
      memory,
    })
    expect(leaks.map((l) => l.path)).toEqual(['@header/set-cookie', '/account/email'])
    const own = findLeaks({ route: 'acct', identity: 'alice', cachedHeaders: {}, control: userValues({ account: { email: 'b@x' } }, p), cached: userValues({ account: { email: 'a@x' } }, p), memory })
    expect(own).toEqual([])
  })
})

describe('breaker', () => {
  it('opens on errors, lets one probe through after the cool-down, closes on success', () => {
    const b = new ShadowBreaker({ window: 4, minSamples: 4, maxBadRate: 0.5, cooldownMs: 100 })
    for (const bad of [false, true, false, true]) b.record('r', bad, 0)
    expect(b.allow('r', 50)).toBe(false)
    expect(b.open(50)).toEqual(['r'])
    expect(b.allow('r', 100)).toBe(true)
    expect(b.allow('r', 100)).toBe(false)
    b.record('r', true, 100)
    expect(b.allow('r', 150)).toBe(false)
    expect(b.allow('r', 200)).toBe(true)
    b.record('r', false, 200)
    expect(b.allow('r', 201)).toBe(true)
    expect(b.allow('other', 0)).toBe(true)
  })
})
