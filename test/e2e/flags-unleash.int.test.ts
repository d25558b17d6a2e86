import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UnleashAdminWriter } from '../../src/flags/unleash-admin.js'
import { inRollout } from '../../src/flags/sticky.js'
import { UnleashFlagSource } from '../../src/flags/unleash-source.js'
import cutover from '../../src/plugin.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { startUnleashServer, type UnleashServer } from '../helpers/unleash-server.js'

// End to end against a real unleash-server on PostgreSQL: flags are changed
// through the admin writer, and real HTTP requests to two app instances show
// the path that served them follow within the refresh interval.

const REFRESH_MS = 500
const ROUTE = 'products.list'
const STAFF_ROUTE = 'products.staff'
// unleash-server refreshes the revision its client API serves once a second
// (a fixed schedule in the server); a client sees a change at its next poll
// after that. The deadline adds slack for a loaded machine.
const DEADLINE_MS = 2 * REFRESH_MS + 2000

let server: UnleashServer
let writer: UnleashAdminWriter
const instances: Array<{ app: FastifyInstance; base: string; flags: UnleashFlagSource; shadows: ShadowContext[] }> = []
const lags: number[] = []

async function instance() {
  const flags = new UnleashFlagSource({ url: server.url, token: server.backendToken, refreshIntervalMs: REFRESH_MS, storageProvider: 'memory', logger: { warn() {}, error() {} } })
  await flags.start({ timeoutMs: 5000 })
  const shadows: ShadowContext[] = []
  const app = Fastify({ logger: false })
  await app.register(cutover, {
    flags,
    identify: (req) => req.headers['x-user'] as string | undefined,
    unleashContext: (req) => (typeof req.headers['x-tier'] === 'string' ? { properties: { tier: req.headers['x-tier'] } } : undefined),
    shadow: async (ctx) => void shadows.push(ctx),
  })
  app.get('/api/products', { config: { cutover: { id: ROUTE, ttl: 60 } } }, async () => ({ products: [1, 2, 3] }))
  app.get('/api/staff', { config: { cutover: { id: STAFF_ROUTE, ttl: 60 } } }, async () => ({ staff: true }))
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  instances.push({ app, base, flags, shadows })
}

const pathFor = async (base: string, user: string): Promise<string> => {
  const res = await fetch(`${base}/api/products`, { headers: { 'x-user': user } })
  await res.arrayBuffer()
  return `${res.headers.get('cutover-path')} ${res.headers.get('cache-status')}`
}

/** Waits until every instance serves `user` as `expected`; records how long that took. */
async function follows(user: string, expected: RegExp, since: number): Promise<void> {
  for (;;) {
    const seen = await Promise.all(instances.map((i) => pathFor(i.base, user)))
    if (seen.every((s) => expected.test(s))) break
    if (Date.now() - since > DEADLINE_MS) throw new Error(`after ${DEADLINE_MS}ms the instances serve ${JSON.stringify(seen)}, expected ${expected}`)
    await new Promise((r) => setTimeout(r, 25))
  }
  lags.push(Date.now() - since)
}

const users = Array.from({ length: 200 }, (_, i) => `user-${i}`)
async function onPage(base: string): Promise<Set<string>> {
  const inside = new Set<string>()
  for (const u of users) if ((await pathFor(base, u)).startsWith('page')) inside.add(u)
  return inside
}

beforeAll(async () => {
  server = await startUnleashServer()
  writer = new UnleashAdminWriter({ url: server.url, token: server.adminToken })
  expect(await writer.createRoutes([ROUTE, STAFF_ROUTE])).toEqual([ROUTE, STAFF_ROUTE])
  await instance()
  await instance()
}, 300_000)

afterAll(async () => {
  for (const i of instances) {
    await i.app.close()
    await i.flags.close()
  }
  await server?.stop()
  if (lags.length > 0) console.warn(`flag change reached both instances after ${lags.join(', ')} ms (refresh interval ${REFRESH_MS} ms)`)
})

describe('route flags end to end (unleash-server on PostgreSQL)', () => {
  it('moves a route off -> shadow -> canary 10% -> 50% -> on, and the kill switch turns it off', async () => {
    expect(instances.map((i) => i.flags.state(ROUTE).mode)).toEqual(['off', 'off'])
    await follows('u', /^legacy .*detail=mode-off$/, Date.now())

    let t = Date.now()
    await writer.setRoute(ROUTE, { mode: 'shadow', shadowRate: 1 })
    await follows('u', /^legacy .*detail=mode-shadow$/, t)
    const [a, b] = instances as [(typeof instances)[number], (typeof instances)[number]]
    await expect.poll(() => a.shadows.length + b.shadows.length).toBeGreaterThan(0)
    expect(a.shadows[0]?.request.routeId ?? b.shadows[0]?.request.routeId).toBe(ROUTE)

    t = Date.now()
    await writer.setRoute(ROUTE, { mode: 'canary', percent: 10 })
    await follows('user-0', /^(page|legacy .*detail=canary-out)/, t)
    await expect.poll(() => a.flags.state(ROUTE).percent === 10 && b.flags.state(ROUTE).percent === 10).toBe(true)
    const at10 = await onPage(a.base)
    expect(await onPage(b.base)).toEqual(at10)
    expect(at10.size).toBeGreaterThan(5)
    expect(at10.size).toBeLessThan(40)

    t = Date.now()
    await writer.setRoute(ROUTE, { mode: 'canary', percent: 50 })
    // A user outside the 10% whom a 50% rollout of the route's group takes in.
    const newcomer = users.find((u) => !at10.has(u) && inRollout(`cutover.${ROUTE}`, u, 50)) as string
    await follows(newcomer, /^page/, t)
    const at50 = await onPage(a.base)
    expect([...at10].filter((u) => !at50.has(u))).toEqual([])
    expect(at50.size).toBeGreaterThan(70)
    expect(at50.size).toBeLessThan(130)

    t = Date.now()
    await writer.setRoute(ROUTE, { mode: 'on' })
    const outsider = users.find((u) => !at50.has(u)) as string
    await follows(outsider, /^page/, t)

    t = Date.now()
    await writer.setKill(true)
    await follows(outsider, /^legacy .*detail=killed$/, t)
    t = Date.now()
    await writer.setKill(false)
    await follows(outsider, /^page/, t)
    expect(await writer.getRoute(ROUTE)).toMatchObject({ mode: 'on', groupId: `cutover.${ROUTE}` })
  }, 120_000)
})

/** A plain Admin API call, for what the admin writer does not do (constraints, segments, context fields). */
async function adminApi(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${server.url}/admin${path}`, {
    method,
    headers: { authorization: server.adminToken, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`)
  return text === '' ? undefined : JSON.parse(text)
}

const staffPath = async (base: string, user: string, tier: string): Promise<string> => {
  const res = await fetch(`${base}/api/staff`, { headers: { 'x-user': user, 'x-tier': tier } })
  await res.arrayBuffer()
  expect(res.status).toBe(200)
  return res.headers.get('cutover-path') === 'page' ? 'page' : String(res.headers.get('cache-status')).replace(/^.*detail=/, '')
}

describe('a route flag with a constraint and a segment, added through the Admin API', () => {
  it('is decided per request: the constraint and the segment narrow the canary, which keeps its buckets', async () => {
    const flag = `cutover.${STAFF_ROUTE}`
    await writer.setRoute(STAFF_ROUTE, { mode: 'canary', percent: 50 })
    await adminApi('POST', '/context', { name: 'tier', stickiness: false })
    const segment = (await adminApi('POST', '/segments', {
      name: 'not-user-4',
      constraints: [{ contextName: 'userId', operator: 'NOT_IN', values: ['user-4'], inverted: false, caseInsensitive: false }],
    })) as { id: number }
    const feature = (await adminApi('GET', `/projects/default/features/${flag}`)) as { environments: Array<{ name: string; strategies: Array<{ id: string; name: string }> }> }
    const strategy = feature.environments.find((e) => e.name === 'development')?.strategies.find((s) => s.name === 'flexibleRollout')
    expect(strategy).toBeDefined()
    const t = Date.now()
    await adminApi('PATCH', `/projects/default/features/${flag}/environments/development/strategies/${strategy?.id}`, [
      { op: 'add', path: '/constraints', value: [{ contextName: 'tier', operator: 'NUM_GTE', value: '2', values: [], inverted: false, caseInsensitive: false }] },
    ])
    await adminApi('POST', '/segments/strategies', { strategyId: strategy?.id, segmentIds: [segment.id], projectId: 'default', environmentId: 'development' })
    // Both changes have arrived when the audience holds the constraint and the segment's.
    const arrived = (i: (typeof instances)[number]) => /"tier".*"user-4"/.test(i.flags.state(STAFF_ROUTE).audience?.key ?? '')
    await expect.poll(() => instances.every(arrived), { timeout: DEADLINE_MS + 1000 }).toBe(true)
    lags.push(Date.now() - t)

    const inCanary = users.slice(0, 40).filter((u) => inRollout(flag, u, 50))
    expect(inCanary).toContain('user-4')
    for (const i of instances) {
      for (const u of users.slice(0, 40)) {
        const expected = !inCanary.includes(u) ? 'canary-out' : u === 'user-4' ? 'constraint-out' : 'page'
        expect(`${u} ${await staffPath(i.base, u, '2')}`).toBe(`${u} ${expected}`)
        expect(await staffPath(i.base, u, '1')).toBe('constraint-out')
      }
    }
    // The admin writer moves the route on; the constraint and the segment stay on the strategy.
    await writer.setRoute(STAFF_ROUTE, { mode: 'on' })
    await expect.poll(() => instances.every((i) => i.flags.state(STAFF_ROUTE).mode === 'on'), { timeout: DEADLINE_MS + 1000 }).toBe(true)
    for (const i of instances) {
      expect(await staffPath(i.base, 'user-7', '3')).toBe('page')
      expect(await staffPath(i.base, 'user-7', '1')).toBe('constraint-out')
      expect(await staffPath(i.base, 'user-4', '3')).toBe('constraint-out')
      expect(i.flags.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT).toBeUndefined()
    }
  }, 60_000)
})
