import type { FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { flagContextOf } from '../../src/modes/flag-context.js'
import type { FlagContext } from '../../src/flags/flag-source.js'
import { audienceOf } from '../../src/flags/unleash-audience.js'
import { decidingStrategies } from '../../src/flags/unleash-layout.js'

const c = (contextName: string, operator: string, values: string[] | string, extra: object = {}) =>
  Array.isArray(values) ? { contextName, operator, values, inverted: false, ...extra } : { contextName, operator, value: values, inverted: false, ...extra }

function build(strategies: Array<Record<string, unknown>>, previous?: ReturnType<typeof audienceOf>) {
  const reports: Array<{ code: string | undefined; message: string; log: boolean }> = []
  const audience = audienceOf(strategies, {
    flag: 'cutover.r',
    appName: 'shop',
    previous,
    report: (err, log) => reports.push({ code: (err as { code?: string }).code, message: err.message, log }),
  })
  return { audience, reports, admits: (ctx: FlagContext) => audience?.admits(() => ctx) }
}
const rollout = (constraints: unknown[], segments?: unknown[]) => ({ name: 'flexibleRollout', parameters: { rollout: '100' }, constraints, ...(segments ? { segments } : {}) })

describe('audienceOf: constraints evaluated by unleash-client', () => {
  it('no constraints and no segments: no audience, the fast path', () => {
    expect(build([rollout([])]).audience).toBeUndefined()
    expect(build([{ name: 'flexibleRollout', parameters: {} }]).audience).toBeUndefined()
    expect(build([]).audience).toBeUndefined()
  })

  it('IN and NOT_IN on userId, inverted', () => {
    expect(build([rollout([c('userId', 'IN', ['a', 'b'])])]).admits({ userId: 'b' })).toBe(true)
    expect(build([rollout([c('userId', 'IN', ['a', 'b'])])]).admits({ userId: 'z' })).toBe(false)
    expect(build([rollout([c('userId', 'IN', ['a'])])]).admits({})).toBe(false)
    expect(build([rollout([c('userId', 'NOT_IN', ['a'])])]).admits({ userId: 'z' })).toBe(true)
    expect(build([rollout([c('userId', 'NOT_IN', ['a'])])]).admits({ userId: 'a' })).toBe(false)
    expect(build([rollout([c('userId', 'IN', ['a'], { inverted: true })])]).admits({ userId: 'a' })).toBe(false)
    expect(build([rollout([c('userId', 'IN', ['a'], { inverted: true })])]).admits({ userId: 'z' })).toBe(true)
  })

  it('STR_ENDS_WITH on a property, case-insensitive when asked, inverted', () => {
    const ends = (extra: object = {}) => build([rollout([c('email', 'STR_ENDS_WITH', ['@our-company.com'], extra)])])
    expect(ends().admits({ properties: { email: 'ann@our-company.com' } })).toBe(true)
    expect(ends().admits({ properties: { email: 'ann@OUR-company.com' } })).toBe(false)
    expect(ends({ caseInsensitive: true }).admits({ properties: { email: 'ann@OUR-company.com' } })).toBe(true)
    expect(ends().admits({ properties: { email: 'bob@elsewhere.org' } })).toBe(false)
    expect(ends().admits({})).toBe(false)
    expect(ends({ inverted: true }).admits({ properties: { email: 'bob@elsewhere.org' } })).toBe(true)
  })

  it('NUM_* compare numbers, a non-number is outside', () => {
    const num = (op: string, v: string, tier: string) => build([rollout([c('tier', op, v)])]).admits({ properties: { tier } })
    expect([num('NUM_GT', '2', '3'), num('NUM_GT', '2', '2'), num('NUM_GTE', '2', '2'), num('NUM_LT', '2', '1.5')]).toEqual([true, false, true, true])
    expect([num('NUM_LTE', '2', '2.01'), num('NUM_EQ', '2', '2.0'), num('NUM_EQ', '2', 'two')]).toEqual([false, true, false])
  })

  it('remoteAddress IN_CIDR and appName from the source, as unleash-client adds it', () => {
    expect(build([rollout([c('remoteAddress', 'IN_CIDR', ['10.0.0.0/8'])])]).admits({ remoteAddress: '10.1.2.3' })).toBe(true)
    expect(build([rollout([c('remoteAddress', 'IN_CIDR', ['10.0.0.0/8'])])]).admits({ remoteAddress: '192.168.0.1' })).toBe(false)
    expect(build([rollout([c('appName', 'IN', ['shop'])])]).admits({})).toBe(true)
  })

  it('every constraint must hold, segments included', () => {
    const segment = { id: 7, constraints: [c('country', 'IN', ['NO', 'SE'])] }
    const { admits } = build([rollout([c('userId', 'STR_STARTS_WITH', ['staff-'])], [segment])])
    expect(admits({ userId: 'staff-1', properties: { country: 'NO' } })).toBe(true)
    expect(admits({ userId: 'staff-1', properties: { country: 'DK' } })).toBe(false)
    expect(admits({ userId: 'user-1', properties: { country: 'NO' } })).toBe(false)
    // A segment alone makes an audience.
    expect(build([rollout([], [segment])]).admits({ properties: { country: 'SE' } })).toBe(true)
  })

  it('standard strategies: any one lets a request in; one without constraints lets everyone in', () => {
    const feature = (strategies: unknown[]) => ({ name: 'cutover.r', enabled: true, strategies })
    const a = { name: 'default', constraints: [c('userId', 'IN', ['a'])] }
    const b = { name: 'default', constraints: [c('userId', 'IN', ['b'])] }
    const { admits } = build(decidingStrategies(feature([a, b])))
    expect([admits({ userId: 'a' }), admits({ userId: 'b' }), admits({ userId: 'c' })]).toEqual([true, true, false])
    expect(build(decidingStrategies(feature([a, { name: 'default' }]))).audience).toBeUndefined()
    // The flexibleRollout strategy decides when there is one; a disabled one does not count.
    const disabled = { ...rollout([c('userId', 'IN', ['x'])]), disabled: true }
    expect(decidingStrategies(feature([disabled, a]))).toEqual([a])
  })

  it('fails closed, reported once, when a constraint cannot be evaluated at all', () => {
    for (const strategy of [
      rollout([c('userId', 'IS_AWESOME', ['a'])]),
      rollout([c('userId', 'IS_AWESOME', ['a'], { inverted: true })]),
      rollout([], [undefined]),
      rollout([null]),
      rollout([{ operator: 'IN', values: ['a'] }]),
      { name: 'flexibleRollout', constraints: 'userId IN a' },
    ]) {
      const { admits, reports } = build([strategy])
      expect(admits({ userId: 'a' })).toBe(false)
      expect(admits({ userId: 'z' })).toBe(false)
      expect(reports).toHaveLength(1)
      expect(reports[0]).toMatchObject({ code: 'CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT', log: true })
      expect(reports[0]?.message).toContain('"cutover.r"')
    }
    expect(build([rollout([], [undefined])]).reports[0]?.message).toMatch(/segment .* not in the payload/)
  })

  it('fails closed when evaluating throws: the first fault is logged, later ones only counted', () => {
    // unleash-client throws on an IN constraint without values.
    const { admits, reports } = build([rollout([{ contextName: 'userId', operator: 'IN', inverted: true }])])
    expect(admits({ userId: 'a' })).toBe(false)
    expect(admits({ userId: 'b' })).toBe(false)
    expect(reports.map((r) => [r.code, r.log])).toEqual([
      ['CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT', true],
      ['CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT', false],
    ])
    const throwing = build([rollout([c('userId', 'IN', ['a'])])])
    expect(
      throwing.audience?.admits(() => {
        throw new Error('boom')
      }),
    ).toBe(false)
    expect(throwing.reports[0]?.message).toContain('boom')
  })

  it('keeps the previous audience while the constraints are unchanged, so a fault is not reported again', () => {
    const strategy = rollout([c('userId', 'NO_SUCH_OP', ['a'])])
    const first = build([strategy])
    const again = build([strategy], first.audience)
    expect(again.audience).toBe(first.audience)
    expect(again.reports).toEqual([])
    const changed = build([rollout([c('userId', 'IN', ['a'])])], first.audience)
    expect(changed.audience).not.toBe(first.audience)
    expect(changed.audience?.key).not.toBe(first.audience?.key)
  })
})

describe('flagContextOf: the context of a request', () => {
  const request = { ip: '10.0.0.9', headers: { 'x-user': 'u1', 'x-session': 's1' } } as unknown as FastifyRequest
  const identify = (r: FastifyRequest) => r.headers['x-user'] as string | undefined

  it('userId from identify, remoteAddress from request.ip, sessionId and properties from unleashContext', () => {
    expect(flagContextOf(request, undefined, undefined)).toEqual({ remoteAddress: '10.0.0.9' })
    expect(flagContextOf(request, identify, () => ({ sessionId: 's1', properties: { plan: 'pro' } }))).toEqual({
      userId: 'u1',
      remoteAddress: '10.0.0.9',
      sessionId: 's1',
      properties: { plan: 'pro' },
    })
    expect(flagContextOf(request, () => undefined, () => undefined)).toEqual({ remoteAddress: '10.0.0.9' })
  })

  it('throws a coded error for anything unleashContext may not return', () => {
    for (const [bad, why] of [
      [null, /an object/],
      ['u1', /an object/],
      [{ userId: 'x' }, /only sessionId and properties/],
      [{ sessionId: 5 }, /sessionId as a string/],
      [{ properties: ['a'] }, /properties as an object/],
      [{ properties: { tier: 3 } }, /properties\.tier as a string/],
    ] as const) {
      expect(() => flagContextOf(request, identify, () => bad as never)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_OPTIONS_INVALID', message: expect.stringMatching(why) }))
    }
  })
})
