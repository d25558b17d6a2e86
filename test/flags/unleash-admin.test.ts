import nock from 'nock'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { UnleashAdminWriter } from '../../src/flags/unleash-admin.js'

const BASE = 'http://unleash-admin.test'
const F = '/api/admin/projects/default/features'
const writer = (over: object = {}) => new UnleashAdminWriter({ url: `${BASE}/api`, token: '*:*.admin', ...over })
const feature = (name: string, strategies: object[] = [], enabled = false) => ({
  name,
  environments: [
    { name: 'development', enabled, strategies },
    { name: 'production', enabled: false, strategies: [] },
  ],
})
const rollout = (id: string, rollout: string, groupId?: string) => ({
  id,
  name: 'flexibleRollout',
  parameters: { rollout, stickiness: 'default', ...(groupId ? { groupId } : {}) },
  constraints: [],
})
const codeOf = async (p: Promise<unknown>) => {
  try {
    await p
  } catch (err) {
    return (err as { code?: string }).code
  }
  return 'resolved'
}

beforeAll(() => nock.disableNetConnect())
afterEach(() => {
  const pending = nock.pendingMocks()
  nock.cleanAll()
  expect(pending).toEqual([])
})
afterAll(() => nock.enableNetConnect())

describe('UnleashAdminWriter', () => {
  it('createRoutes creates a missing flag, its off strategy (string rollout) and the kill switch', async () => {
    const bodies: Record<string, unknown> = {}
    nock(BASE, { reqheaders: { authorization: '*:*.admin' } })
      .get(`${F}/cutover.products.list`).reply(404, { message: 'no such flag' })
      .post(F, (b) => ((bodies.create = b), true)).reply(201, {})
      .get(`${F}/cutover.products.list`).reply(200, feature('cutover.products.list'))
      .post(`${F}/cutover.products.list/environments/development/strategies`, (b) => ((bodies.strategy = b), true)).reply(200, {})
      .get(`${F}/cutover.kill-switch`).reply(200, feature('cutover.kill-switch', [rollout('k', '100')]))
    expect(await writer().createRoutes(['products.list'])).toEqual(['products.list'])
    expect(bodies.create).toMatchObject({ name: 'cutover.products.list', type: 'release' })
    expect(bodies.strategy).toMatchObject({
      name: 'flexibleRollout',
      parameters: { rollout: '0', stickiness: 'default', groupId: 'cutover.products.list' },
      variants: [{ name: 'cutover', weight: 1000, payload: { type: 'json', value: '{"mode":"off","shadowRate":0}' } }],
    })
  })

  it('createRoutes leaves an existing flag alone and creates the kill switch when missing', async () => {
    let kill: unknown
    nock(BASE)
      .get(`${F}/cutover.a`).reply(200, feature('cutover.a', [rollout('s1', '30')], true))
      .get(`${F}/cutover.kill-switch`).reply(404, {})
      .post(F, (b) => ((kill = b), true)).reply(201, {})
      .get(`${F}/cutover.kill-switch`).reply(200, feature('cutover.kill-switch'))
      .post(`${F}/cutover.kill-switch/environments/development/strategies`).reply(200, {})
    expect(await writer().createRoutes(['a'])).toEqual([])
    expect(kill).toMatchObject({ name: 'cutover.kill-switch', type: 'kill-switch' })
  })

  it('setRoute PATCHes the existing strategy (rollout as a string, variants) and keeps its groupId', async () => {
    let ops: unknown
    nock(BASE)
      .get(`${F}/cutover.a`).reply(200, feature('cutover.a', [rollout('s1', '10', 'legacy-group')], true))
      .patch(`${F}/cutover.a/environments/development/strategies/s1`, (b) => ((ops = b), true)).reply(200, {})
      .post(`${F}/cutover.a/environments/development/on`).reply(200)
    const state = await writer().setRoute('a', { mode: 'canary', percent: 50 })
    expect(state).toEqual({ mode: 'canary', percent: 50, shadowRate: 0, groupId: 'legacy-group' })
    expect(ops).toEqual([
      { op: 'replace', path: '/parameters/rollout', value: '50' },
      { op: 'add', path: '/variants', value: [expect.objectContaining({ name: 'cutover', payload: { type: 'json', value: '{"mode":"canary","shadowRate":0}' } })] },
    ])
  })

  it('setRoute to off disables the environment before patching', async () => {
    const order: string[] = []
    nock(BASE)
      .get(`${F}/cutover.a`).reply(200, feature('cutover.a', [rollout('s1', '100', 'cutover.a')], true))
      .post(`${F}/cutover.a/environments/development/off`).reply(200, () => (order.push('off'), ''))
      .patch(`${F}/cutover.a/environments/development/strategies/s1`).reply(200, () => (order.push('patch'), {}))
    expect((await writer().setRoute('a', { mode: 'off' })).mode).toBe('off')
    expect(order).toEqual(['off', 'patch'])
  })

  it('setRoute creates the flag and its strategy when missing', async () => {
    let strategy: unknown
    nock(BASE)
      .get(`${F}/cutover.b`).reply(404, {})
      .post(F).reply(201, {})
      .get(`${F}/cutover.b`).reply(200, feature('cutover.b'))
      .post(`${F}/cutover.b/environments/development/strategies`, (b) => ((strategy = b), true)).reply(200, {})
      .post(`${F}/cutover.b/environments/development/on`).reply(200)
    await writer().setRoute('b', { mode: 'shadow', shadowRate: 0.25 })
    expect(strategy).toMatchObject({ parameters: { rollout: '0' }, variants: [{ payload: { value: '{"mode":"shadow","shadowRate":0.25}' } }] })
  })

  it('rejects an invalid state before any call', async () => {
    expect(await codeOf(writer().setRoute('a', { mode: 'canary', percent: 150 }))).toBe('CUTOVER_ERR_FLAGS_STATE_INVALID')
  })

  it('refuses a route id a route cannot have, "kill-switch" (read as the kill switch) and one Unleash cannot name, before any call', async () => {
    // No interceptor: any call would fail the test (net connect is disabled, pending mocks are checked).
    for (const id of ['bad id{', '', 'x'.repeat(129), 'kill-switch', 'GET:/api/x']) {
      expect(await codeOf(writer().createRoutes(['ok', id])), id).toBe('CUTOVER_ERR_FLAGS_STATE_INVALID')
      expect(await codeOf(writer().setRoute(id, { mode: 'on' })), id).toBe('CUTOVER_ERR_FLAGS_STATE_INVALID')
      expect(await codeOf(writer().getRoute(id)), id).toBe('CUTOVER_ERR_FLAGS_STATE_INVALID')
    }
  })

  it('getRoute reads the environment; a missing flag is undefined', async () => {
    nock(BASE)
      .get(`${F}/cutover.a`).reply(200, feature('cutover.a', [{ ...rollout('s1', '25', 'g'), variants: [{ name: 'cutover', weight: 1000, payload: { type: 'json', value: '{"mode":"canary","shadowRate":0}' } }] }], true))
      .get(`${F}/cutover.none`).reply(404, {})
    expect(await writer().getRoute('a')).toEqual({ mode: 'canary', percent: 25, shadowRate: 0, groupId: 'g' })
    expect(await writer().getRoute('none')).toBeUndefined()
  })

  it('setKill turns the kill-switch flag on and off', async () => {
    nock(BASE)
      .get(`${F}/cutover.kill-switch`).twice().reply(200, feature('cutover.kill-switch', [rollout('k', '100')]))
      .post(`${F}/cutover.kill-switch/environments/development/on`).reply(200)
      .post(`${F}/cutover.kill-switch/environments/development/off`).reply(200)
      .get(`${F}/cutover.kill-switch`).reply(200, feature('cutover.kill-switch', [rollout('k', '100')], true))
    await writer().setKill(true)
    await writer().setKill(false)
    expect(await writer().getKill()).toBe(true)
  })

  describe('errors', () => {
    it('401 and 403 are CUTOVER_ERR_FLAGS_ADMIN_AUTH', async () => {
      nock(BASE).get(`${F}/cutover.a`).reply(401, { message: 'You must log in' }).get(`${F}/cutover.b`).reply(403, {})
      expect(await codeOf(writer().getRoute('a'))).toBe('CUTOVER_ERR_FLAGS_ADMIN_AUTH')
      expect(await codeOf(writer().getRoute('b'))).toBe('CUTOVER_ERR_FLAGS_ADMIN_AUTH')
    })

    it('404 on a call other than the flag lookup is CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND, as is a missing environment', async () => {
      nock(BASE)
        .get(`${F}/cutover.a`).reply(200, feature('cutover.a', [rollout('s1', '0')]))
        .patch(`${F}/cutover.a/environments/development/strategies/s1`).reply(404, { details: [{ message: 'strategy gone' }] })
        .get(`${F}/cutover.b`).reply(200, { name: 'cutover.b', environments: [] })
      await expect(writer().setRoute('a', { mode: 'on' })).rejects.toThrow(/404 \(strategy gone\)/)
      expect(await codeOf(writer().setRoute('b', { mode: 'on' }))).toBe('CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND')
    })

    it('409 on create is CUTOVER_ERR_FLAGS_ADMIN_CONFLICT when the name is taken elsewhere', async () => {
      nock(BASE).get(`${F}/cutover.a`).reply(404, {}).post(F).reply(409, { message: 'A flag with that name already exists' }).get(`${F}/cutover.a`).reply(404, {})
      await expect(writer().setRoute('a', { mode: 'on' })).rejects.toMatchObject({ code: 'CUTOVER_ERR_FLAGS_ADMIN_CONFLICT' })
    })

    it('409 on create after a concurrent writer created it reads the flag again and goes on', async () => {
      nock(BASE)
        .get(`${F}/cutover.a`).reply(404, {})
        .post(F).reply(409, {})
        .get(`${F}/cutover.a`).reply(200, feature('cutover.a', [rollout('s1', '0', 'cutover.a')]))
        .patch(`${F}/cutover.a/environments/development/strategies/s1`).reply(200, {})
        .post(`${F}/cutover.a/environments/development/on`).reply(200)
      expect((await writer().setRoute('a', { mode: 'on' })).mode).toBe('on')
    })

    it('a call slower than timeoutMs is CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT', async () => {
      nock(BASE).get(`${F}/cutover.a`).delay(500).reply(200, {})
      expect(await codeOf(writer({ timeoutMs: 50 }).getRoute('a'))).toBe('CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT')
    })

    it('5xx, network errors and non-JSON bodies are CUTOVER_ERR_FLAGS_ADMIN_FAILED', async () => {
      nock(BASE)
        .get(`${F}/cutover.a`).reply(500, 'boom')
        .get(`${F}/cutover.b`).replyWithError('socket hang up')
        .get(`${F}/cutover.c`).reply(200, '<html>')
      await expect(writer().getRoute('a')).rejects.toThrow(/500 boom/)
      expect(await codeOf(writer().getRoute('b'))).toBe('CUTOVER_ERR_FLAGS_ADMIN_FAILED')
      expect(await codeOf(writer().getRoute('c'))).toBe('CUTOVER_ERR_FLAGS_ADMIN_FAILED')
    })

    it('rejects bad options', () => {
      expect(() => new UnleashAdminWriter({ url: '', token: 't' })).toThrow(/url to be a non-empty string/)
      expect(() => new UnleashAdminWriter({ url: 'http://x', token: 't', timeoutMs: 0 })).toThrow(/timeoutMs/)
    })
  })
})
