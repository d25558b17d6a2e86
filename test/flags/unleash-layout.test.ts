import { describe, expect, it } from 'vitest'
import { toRouteState } from '../../src/flags/route-state.js'
import { checkLayoutRouteId, routeStateFromFeature, strategyFor } from '../../src/flags/unleash-layout.js'

const feature = (over: object) => ({ name: 'cutover.r', enabled: true, strategies: [], ...over })

describe('Unleash flag layout', () => {
  it('round-trips every mode through the strategy the admin writer writes', () => {
    for (const input of [
      { mode: 'on' },
      { mode: 'off' },
      { mode: 'canary', percent: 10 },
      { mode: 'shadow', shadowRate: 0.25 },
    ] as const) {
      const state = toRouteState('r', input, 'cutover.r')
      const strategy = strategyFor(state)
      expect(typeof strategy.parameters.rollout).toBe('string')
      const back = routeStateFromFeature('r', feature({ enabled: state.mode !== 'off', strategies: [strategy] }))
      expect(back).toEqual(state.mode === 'off' ? { ...state, shadowRate: 0 } : state)
    }
  })

  it('a flag whose name after the prefix is no route id breaks the layout', () => {
    expect(() => routeStateFromFeature('bad id{', feature({ name: 'cutover.bad id{' }))).toThrow(
      expect.objectContaining({ code: 'CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD', message: expect.stringMatching(/"cutover\.bad id\{".*1-128 characters/) }),
    )
  })

  it('checkLayoutRouteId takes what a route id may be, except the kill switch suffix and names Unleash refuses', () => {
    expect(checkLayoutRouteId('products.list', 'cutover.')).toBe('products.list')
    expect(checkLayoutRouteId('x'.repeat(92), 'cutover.')).toBe('x'.repeat(92))
    // Route ids may hold ":" and "/" and run to 128 characters; Unleash flag names may not.
    for (const id of ['kill-switch', 'bad id{', '', 7, 'GET:/api/products', 'a/b', 'x'.repeat(93)]) {
      expect(() => checkLayoutRouteId(id, 'cutover.'), String(id)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_FLAGS_STATE_INVALID' }))
    }
    expect(() => checkLayoutRouteId('a:b', 'cutover.')).toThrow(/"cutover\.a:b"/)
  })

  it('reads a plain gradual rollout without the cutover variant', () => {
    const rollout = (r: string) => feature({ strategies: [{ name: 'flexibleRollout', parameters: { rollout: r, stickiness: 'default', groupId: 'g' }, constraints: [] }] })
    expect(routeStateFromFeature('r', rollout('100')).mode).toBe('on')
    expect(routeStateFromFeature('r', rollout('0')).mode).toBe('off')
    expect(routeStateFromFeature('r', rollout('35'))).toEqual({ mode: 'canary', percent: 35, shadowRate: 0, groupId: 'g' })
    expect(routeStateFromFeature('r', feature({ strategies: [] })).mode).toBe('on')
    expect(routeStateFromFeature('r', feature({ enabled: false })).mode).toBe('off')
  })

  it.each([
    ['enabled missing', { enabled: undefined }, /enabled/],
    ['strategies not a list', { strategies: 'x' }, /strategies/],
    ['only an unknown strategy', { strategies: [{ name: 'userWithId', parameters: {} }] }, /flexibleRollout/],
    ['rollout out of range', { strategies: [{ name: 'flexibleRollout', parameters: { rollout: '140' } }] }, /rollout/],
    ['payload not JSON', { strategies: [{ name: 'flexibleRollout', parameters: { rollout: '5' }, variants: [{ name: 'cutover', payload: { type: 'json', value: '{' } }] }] }, /not JSON/],
    ['unknown mode', { strategies: [{ name: 'flexibleRollout', parameters: { rollout: '5' }, variants: [{ name: 'cutover', payload: { type: 'json', value: '{"mode":"half"}' } }] }] }, /mode/],
    ['shadowRate above 1', { strategies: [{ name: 'flexibleRollout', parameters: { rollout: '5' }, variants: [{ name: 'cutover', payload: { type: 'json', value: '{"mode":"shadow","shadowRate":5}' } }] }] }, /shadowRate/],
  ])('rejects a flag with %s (coded error naming the flag)', (_name, over, message) => {
    let caught: (Error & { code?: string }) | undefined
    try {
      routeStateFromFeature('r', feature(over))
    } catch (err) {
      caught = err as Error & { code?: string }
    }
    expect(caught?.code).toBe('CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD')
    expect(caught?.message).toMatch(/"cutover\.r"/)
    expect(caught?.message).toMatch(message)
  })
})
