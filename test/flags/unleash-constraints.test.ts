import type { FastifyInstance } from 'fastify'
import nock from 'nock'
import { InMemStorageProvider, Unleash } from 'unleash-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RouteFlagInput } from '../../src/flags/route-state.js'
import { inRollout } from '../../src/flags/sticky.js'
import { UnleashFlagSource } from '../../src/flags/unleash-source.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { appWith, eventually } from '../helpers/app.js'
import { fakeUnleash, featuresFor } from '../helpers/unleash-nock.js'

// Route flags with constraints and segments, served by a fake Unleash (nock),
// decided per request through the plugin.

const logged: Array<{ code?: string; msg: string }> = []
const logger = {
  warn: (obj: object, msg: string) => logged.push({ ...(obj as { code?: string }), msg }),
  error: (obj: object, msg: string) => logged.push({ ...(obj as { code?: string }), msg }),
}
const opened: Array<{ close(): Promise<void> | void }> = []
let fake: ReturnType<typeof fakeUnleash>

type Constraint = { contextName: string; operator: string; values?: string[]; value?: string; inverted?: boolean; caseInsensitive?: boolean }
type Segment = { id: number; name?: string; constraints: Constraint[] }
const inList = (contextName: string, operator: string, values: string[], inverted = false): Constraint => ({ contextName, operator, values, inverted })

/** The payload: route flags in cutover's layout, the named ones with constraints and segment ids. */
function serve(routes: Record<string, RouteFlagInput & { constraints?: Constraint[]; segments?: number[] }>, segments: Segment[] = []): object {
  const features = featuresFor(Object.fromEntries(Object.entries(routes).map(([id, { constraints: _c, segments: _s, ...input }]) => [id, input])))
  for (const feature of features as Array<{ name: string; strategies: Array<Record<string, unknown>> }>) {
    const spec = routes[feature.name.replace(/^cutover\./, '')]
    const strategy = feature.strategies[0]
    if (spec && strategy) Object.assign(strategy, { constraints: spec.constraints ?? [], ...(spec.segments ? { segments: spec.segments } : {}) })
  }
  fake.state.status = 200
  fake.state.payload = { version: 2, features, segments }
  return fake.state.payload as object
}

async function source(): Promise<UnleashFlagSource> {
  const flags = new UnleashFlagSource({ url: fake.state.url, token: 't', refreshIntervalMs: 20, fetchTimeoutMs: 1000, storageProvider: 'memory', logger })
  opened.push(flags)
  await flags.start()
  return flags
}

async function app(flags: UnleashFlagSource, shadows: ShadowContext[] = []): Promise<FastifyInstance> {
  const a = await appWith({
    flags,
    identify: (req) => req.headers['x-user'] as string | undefined,
    unleashContext: (req) => ({
      properties: Object.fromEntries(['email', 'tier', 'country'].flatMap((k) => (req.headers[`x-${k}`] ? [[k, String(req.headers[`x-${k}`])]] : []))),
    }),
    shadow: async (ctx) => void shadows.push(ctx),
  })
  for (const id of ['p', 'q', 's']) a.get(`/${id}`, { config: { cutover: { id, ttl: 60 } } }, async () => ({ id }))
  await a.ready()
  opened.push(a)
  return a
}

const path = async (a: FastifyInstance, url: string, headers: Record<string, string> = {}) => {
  const r = await a.inject({ url, headers })
  expect(r.statusCode).toBe(200)
  return r.headers['cutover-path'] === 'page' ? 'page' : String(r.headers['cache-status']).replace(/^.*detail=/, '')
}
const users = Array.from({ length: 400 }, (_, i) => `user-${i}`)

beforeAll(() => nock.disableNetConnect())
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close()
  fake?.done()
  logged.length = 0
})
afterAll(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

describe('Unleash route flags with constraints and segments', () => {
  it('IN / NOT_IN on userId: only the listed users get the page path, the rest the legacy path', async () => {
    fake = fakeUnleash()
    serve({ p: { mode: 'on', constraints: [inList('userId', 'IN', ['ann', 'bob'])] }, q: { mode: 'on', constraints: [inList('userId', 'NOT_IN', ['ann'])] } })
    const a = await app(await source())
    expect(await path(a, '/p', { 'x-user': 'ann' })).toBe('page')
    expect(await path(a, '/p', { 'x-user': 'bob' })).toBe('page')
    expect(await path(a, '/p', { 'x-user': 'eve' })).toBe('constraint-out')
    expect(await path(a, '/p')).toBe('constraint-out')
    expect(await path(a, '/q', { 'x-user': 'ann' })).toBe('constraint-out')
    expect(await path(a, '/q', { 'x-user': 'eve' })).toBe('page')
    expect(a.cutover.paths().p).toMatchObject({ page: 2, legacy: 2 })
  })

  it('STR_ENDS_WITH and an inverted constraint on properties from unleashContext', async () => {
    fake = fakeUnleash()
    serve({
      p: { mode: 'on', constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@our-company.com'], caseInsensitive: true }] },
      q: { mode: 'on', constraints: [{ ...inList('country', 'IN', ['NO']), inverted: true }] },
    })
    const a = await app(await source())
    expect(await path(a, '/p', { 'x-email': 'ann@Our-Company.com' })).toBe('page')
    expect(await path(a, '/p', { 'x-email': 'eve@elsewhere.org' })).toBe('constraint-out')
    expect(await path(a, '/p')).toBe('constraint-out')
    expect(await path(a, '/q', { 'x-country': 'NO' })).toBe('constraint-out')
    expect(await path(a, '/q', { 'x-country': 'SE' })).toBe('page')
  })

  it('NUM_* constraints and a segment: every constraint of the strategy and its segments must hold', async () => {
    fake = fakeUnleash()
    const segment: Segment = { id: 3, name: 'nordics', constraints: [inList('country', 'IN', ['NO', 'SE', 'DK'])] }
    serve({ p: { mode: 'on', constraints: [{ contextName: 'tier', operator: 'NUM_GTE', value: '2', inverted: false }], segments: [3] } }, [segment])
    const a = await app(await source())
    expect(await path(a, '/p', { 'x-tier': '2', 'x-country': 'NO' })).toBe('page')
    expect(await path(a, '/p', { 'x-tier': '3', 'x-country': 'DK' })).toBe('page')
    expect(await path(a, '/p', { 'x-tier': '1', 'x-country': 'NO' })).toBe('constraint-out')
    expect(await path(a, '/p', { 'x-tier': '3', 'x-country': 'FR' })).toBe('constraint-out')
    expect(await path(a, '/p', { 'x-tier': 'gold', 'x-country': 'NO' })).toBe('constraint-out')
    // The segment changes in Unleash: the route follows at the next poll.
    serve({ p: { mode: 'on', constraints: [{ contextName: 'tier', operator: 'NUM_LT', value: '2', inverted: false }], segments: [3] } }, [{ ...segment, constraints: [inList('country', 'IN', ['FR'])] }])
    await fake.fetches(2)
    expect(await path(a, '/p', { 'x-tier': '1', 'x-country': 'FR' })).toBe('page')
    expect(await path(a, '/p', { 'x-tier': '1', 'x-country': 'NO' })).toBe('constraint-out')
  })

  it('stickiness: whoever is in the canary without constraints stays in with a constraint they satisfy, as unleash-client decides', async () => {
    fake = fakeUnleash()
    serve({ p: { mode: 'canary', percent: 30 } })
    const flags = await source()
    const a = await app(flags)
    const before = new Set<string>()
    for (const u of users) if ((await path(a, '/p', { 'x-user': u, 'x-email': `${u}@our-company.com` })) === 'page') before.add(u)
    expect(before.size).toBeGreaterThan(80)
    expect(before.size).toBeLessThan(160)
    const payload = serve({ p: { mode: 'canary', percent: 30, constraints: [{ contextName: 'email', operator: 'STR_ENDS_WITH', values: ['@our-company.com'] }] } })
    await eventually(() => flags.state('p').audience !== undefined)
    const after = new Set<string>()
    for (const u of users) {
      const seen = await path(a, '/p', { 'x-user': u, 'x-email': `${u}@our-company.com` })
      if (seen === 'page') after.add(u)
      else expect(seen).toBe('canary-out')
      expect(await path(a, '/p', { 'x-user': u, 'x-email': `${u}@elsewhere.org` })).toBe('constraint-out')
    }
    expect([...after]).toEqual([...before])
    // unleash-client's own isEnabled on the same payload, userId = the identity, agrees user by user.
    const client = new Unleash({ url: fake.state.url, appName: 'cutover', disableMetrics: true, storageProvider: new InMemStorageProvider(), bootstrap: { data: (payload as { features: never[] }).features }, skipInstanceCountWarning: true, refreshInterval: 0 })
    opened.push({ close: () => client.destroy() })
    await new Promise((r) => (client.isSynchronized() ? r(null) : client.once('synchronized', r)))
    for (const u of users) {
      expect(client.isEnabled('cutover.p', { userId: u, properties: { email: `${u}@our-company.com` } })).toBe(after.has(u))
      expect(inRollout('cutover.p', u, 30)).toBe(after.has(u))
    }
  })

  it('shadow mode: a request outside the constraints is neither shadowed nor served the page path', async () => {
    fake = fakeUnleash()
    serve({ s: { mode: 'shadow', shadowRate: 1, constraints: [inList('userId', 'IN', ['ann'])] } })
    const shadows: ShadowContext[] = []
    const a = await app(await source(), shadows)
    expect(await path(a, '/s', { 'x-user': 'eve' })).toBe('constraint-out')
    expect(await path(a, '/s', { 'x-user': 'ann' })).toBe('mode-shadow')
    await eventually(() => shadows.length === 1)
    await new Promise((r) => setTimeout(r, 50))
    expect(shadows.map((s) => s.request.headers['x-user'])).toEqual(['ann'])
    expect(a.cutover.paths().s).toMatchObject({ page: 0, legacy: 2, shadowed: 1 })
  })

  it('a constraint unleash-client cannot evaluate turns the route off for everyone, logged once, never a 5xx', async () => {
    fake = fakeUnleash()
    serve({ p: { mode: 'on', constraints: [inList('userId', 'IS_FRIEND_OF', ['ann'])] }, q: { mode: 'on', segments: [99] } })
    const flags = await source()
    const a = await app(flags)
    await fake.fetches(3)
    for (const u of ['ann', 'eve']) {
      expect(await path(a, '/p', { 'x-user': u })).toBe('constraint-out')
      expect(await path(a, '/q', { 'x-user': u })).toBe('constraint-out')
    }
    const faults = logged.filter((l) => l.code === 'CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT')
    expect(faults.map((l) => l.msg.match(/"cutover\.\w"/)?.[0]).sort()).toEqual(['"cutover.p"', '"cutover.q"'])
    expect(faults[0]?.msg).toMatch(/IS_FRIEND_OF|segment/)
    expect(flags.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT).toBe(2)
  })

  it('an evaluation that throws keeps the route off for that request: logged once, counted each time', async () => {
    fake = fakeUnleash()
    // unleash-client throws on an IN constraint without values.
    serve({ p: { mode: 'on', constraints: [{ contextName: 'userId', operator: 'IN' }] } })
    const flags = await source()
    const a = await app(flags)
    for (let i = 0; i < 3; i++) expect(await path(a, '/p', { 'x-user': 'ann' })).toBe('constraint-out')
    expect(logged.filter((l) => l.code === 'CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT')).toHaveLength(1)
    expect(flags.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT).toBe(3)
  })

  it('Unleash down: the constrained state holds', async () => {
    fake = fakeUnleash()
    serve({ p: { mode: 'on', constraints: [inList('userId', 'IN', ['ann'])] } })
    const flags = await source()
    const a = await app(flags)
    fake.state.status = 401
    await fake.fetches(1)
    await new Promise((r) => setTimeout(r, 30))
    expect(flags.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_FETCH).toBeGreaterThan(0)
    expect(await path(a, '/p', { 'x-user': 'ann' })).toBe('page')
    expect(await path(a, '/p', { 'x-user': 'eve' })).toBe('constraint-out')
  })

  it('a restart while Unleash is down starts from the backup with its segments', async () => {
    fake = fakeUnleash()
    fake.state.status = 401
    const backup = new InMemStorageProvider<never>()
    await backup.set('cutover', {
      version: 2,
      features: featuresFor({ p: { mode: 'on' } }).map((f) => ((f as { name: string }).name === 'cutover.p' ? { ...f, strategies: [{ ...(f as { strategies: object[] }).strategies[0], segments: [5] }] } : f)),
      segments: [{ id: 5, constraints: [inList('userId', 'IN', ['ann'])] }],
    } as never)
    const flags = new UnleashFlagSource({ url: fake.state.url, token: 't', refreshIntervalMs: 20, storageProvider: backup, logger })
    opened.push(flags)
    expect((await flags.start({ timeoutMs: 100 })).origin).toBe('backup')
    const a = await app(flags)
    expect(await path(a, '/p', { 'x-user': 'ann' })).toBe('page')
    expect(await path(a, '/p', { 'x-user': 'eve' })).toBe('constraint-out')
  })

  it('unleashContext is checked at registration', async () => {
    fake = fakeUnleash()
    await expect(appWith({ unleashContext: 'email' as never })).rejects.toMatchObject({ code: 'CUTOVER_ERR_OPTIONS_INVALID', message: /unleashContext to be a function/ })
  })
})
