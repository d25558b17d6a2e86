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
// unleash-server publishes a change to its client API on its own schedule
// (about a second); a client sees it at its next poll after that.
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
    shadow: async (ctx) => void shadows.push(ctx),
  })
  app.get('/api/products', { config: { cutover: { id: ROUTE, ttl: 60 } } }, async () => ({ products: [1, 2, 3] }))
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
  expect(await writer.createRoutes([ROUTE])).toEqual([ROUTE])
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
