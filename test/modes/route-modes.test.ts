import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { CutoverOptions } from '../../src/plugin.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { appWith, eventually } from '../helpers/app.js'
import { StaticFlagSource } from '../helpers/flags.js'
import { sampled } from '../../src/modes/sampling.js'
import { inRollout } from '../../src/flags/sticky.js'

let app: FastifyInstance | undefined
afterEach(async () => {
  await app?.close()
  app = undefined
  delete process.env.CUTOVER_KILL
})

async function productsApp(options: CutoverOptions, routeConfig: Record<string, unknown> = {}) {
  app = await appWith(options)
  const calls = { n: 0 }
  app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 30, query: ['page'], ...routeConfig } } }, async (req) => {
    calls.n++
    return { page: (req.query as { page?: string }).page ?? '1', n: calls.n }
  })
  await app.ready()
  return { app, calls }
}

const userHeader = (u: string) => ({ headers: { 'x-user': u } })
const identify = (req: { headers: Record<string, unknown> }) => req.headers['x-user'] as string | undefined

describe('route modes in the plugin', () => {
  it('with a flag source, a route it does not know is off: the handler runs and nothing is stored', async () => {
    const { app, calls } = await productsApp({ flags: new StaticFlagSource({}) })
    for (let i = 0; i < 2; i++) {
      const r = await app.inject('/api/products')
      expect(r.headers['cutover-path']).toBe('legacy')
      expect(r.headers['cache-status']).toBe('cutover; fwd=bypass; detail=mode-off')
    }
    expect(calls.n).toBe(2)
    expect(app.cutover.stats()['products.list'] ?? { stored: 0 }).toMatchObject({ stored: 0 })
    expect(app.cutover.paths()['products.list']).toMatchObject({ page: 0, legacy: 2 })
  })

  it('follows the flag from off to on without a restart, counting each path', async () => {
    const flags = new StaticFlagSource({ 'products.list': 'off' })
    const { app, calls } = await productsApp({ flags })
    expect((await app.inject('/api/products')).headers['cutover-path']).toBe('legacy')
    flags.set({ 'products.list': 'on' })
    expect((await app.inject('/api/products')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    const hit = await app.inject('/api/products')
    expect([hit.headers['cutover-path'], hit.headers['cache-status']]).toEqual(['page', 'cutover; hit; ttl=30'])
    expect(calls.n).toBe(2)
    expect(app.cutover.paths()['products.list']).toMatchObject({ page: 2, legacy: 1 })
    expect(app.cutover.modeOf('products.list').mode).toBe('on')
  })

  it('canary: a sticky share of identities on the page path; users in at 10% are in at 50%', async () => {
    const flags = new StaticFlagSource({ 'products.list': { mode: 'canary', percent: 10 } })
    const { app } = await productsApp({ flags, identify })
    const users = Array.from({ length: 300 }, (_, i) => `user-${i}`)
    const onPage = async () => {
      const inside = new Set<string>()
      for (const u of users) if ((await app.inject({ url: '/api/products', ...userHeader(u) })).headers['cutover-path'] === 'page') inside.add(u)
      return inside
    }
    const at10 = await onPage()
    expect(await onPage()).toEqual(at10)
    flags.set({ 'products.list': { mode: 'canary', percent: 50 } })
    const at50 = await onPage()
    expect([...at10].filter((u) => !at50.has(u))).toEqual([])
    expect(at10.size).toBeGreaterThan(10)
    expect(at10.size).toBeLessThan(60)
    expect(at50.size).toBeGreaterThan(110)
    expect(at50.size).toBeLessThan(190)
    const out = users.find((u) => !at50.has(u)) as string
    expect((await app.inject({ url: '/api/products', ...userHeader(out) })).headers['cache-status']).toBe('cutover; fwd=bypass; detail=canary-out')
  })

  it('a numeric identity (req.user?.id) buckets as its decimal string, the way Unleash reads userId', async () => {
    const flags = new StaticFlagSource({ 'products.list': { mode: 'canary', percent: 50 } })
    const numeric = (req: { headers: Record<string, unknown> }): number | undefined => {
      const id = req.headers['x-user']
      return typeof id === 'string' ? Number(id) : undefined
    }
    const { app } = await productsApp({ flags, identify: numeric })
    const groupId = app.cutover.modeOf('products.list').groupId
    for (const id of [1, 2, 3, 17, 42, 1000, 123456]) {
      const path = (await app.inject({ url: '/api/products', ...userHeader(String(id)) })).headers['cutover-path']
      expect(path, String(id)).toBe(inRollout(groupId, String(id), 50) ? 'page' : 'legacy')
    }
  })

  it('canary without an identity buckets by page key: one URL always takes the same path', async () => {
    const { app } = await productsApp({ flags: new StaticFlagSource({ 'products.list': { mode: 'canary', percent: 50 } }) })
    const pathOf = async (page: number) => (await app.inject(`/api/products?page=${page}&utm=${Math.random()}`)).headers['cutover-path']
    const first = await Promise.all(Array.from({ length: 40 }, (_, i) => pathOf(i)))
    expect(await Promise.all(Array.from({ length: 40 }, (_, i) => pathOf(i)))).toEqual(first)
    expect(new Set(first)).toEqual(new Set(['page', 'legacy']))
  })

  it('shadow: serves legacy, then hands the sampled response to the shadow handler; its page-path render is not re-shadowed', async () => {
    const seen: ShadowContext[] = []
    const renders: Array<{ path: unknown; status: unknown }> = []
    const shadow = async (ctx: ShadowContext) => {
      seen.push(ctx)
      const r = await ctx.app.inject({ url: ctx.request.url, headers: { 'x-cutover-shadow': ctx.app.cutover.shadowToken } })
      renders.push({ path: r.headers['cutover-path'], status: r.headers['cache-status'] })
    }
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
    const { app, calls } = await productsApp({ flags, shadow })
    const r = await app.inject('/api/products?page=3')
    expect(r.headers['cutover-path']).toBe('legacy')
    expect(r.headers['cache-status']).toBe('cutover; fwd=bypass; detail=mode-shadow')
    await eventually(() => renders.length === 1)
    const ctx = seen[0] as ShadowContext
    expect(ctx.request).toMatchObject({ routeId: 'products.list', method: 'GET', url: '/api/products?page=3' })
    expect(ctx.control.status).toBe(200)
    // A serialized (string) payload reaches the handler as bytes.
    expect(Buffer.isBuffer(ctx.control.body)).toBe(true)
    expect(JSON.parse(ctx.control.body.toString())).toEqual({ page: '3', n: 1 })
    expect(ctx.control.headers['cutover-path']).toBe('legacy')
    expect(ctx.control.durationMs).toBeGreaterThanOrEqual(0)
    expect(ctx.signal.aborted).toBe(false)
    // The rate it was drawn at: the budget has measured nothing yet, so the configured one.
    expect(ctx.sampling).toEqual({ rate: 1, effectiveRate: 1 })
    expect(app.cutover.shadowBudget()).toMatchObject({ factor: 1, maxLoopShare: 0.05, requestMs: null, shadowMs: null })
    expect(renders).toEqual([{ path: 'page', status: 'cutover; fwd=bypass; detail=shadow' }])
    expect(calls.n).toBe(2)
    expect(seen).toHaveLength(1)
    expect(app.cutover.paths()['products.list']).toMatchObject({ legacy: 1, shadowed: 1 })
    const legacyRun = await app.inject({ url: '/api/products', headers: { 'x-cutover-shadow': app.cutover.shadowToken, 'x-cutover-shadow-path': 'legacy' } })
    expect(legacyRun.headers['cache-status']).toBe('cutover; fwd=bypass; detail=shadow-legacy')
    const forged = await app.inject({ url: '/api/products', headers: { 'x-cutover-shadow': 'guess' } })
    expect(forged.headers['cache-status']).toBe('cutover; fwd=bypass; detail=mode-shadow')
  })

  it('shadow samples at the configured rate', async () => {
    const seen: string[] = []
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 0.25 } })
    const { app } = await productsApp({ flags, shadow: async (ctx) => void seen.push(ctx.request.url), shadowLimits: { maxConcurrent: 1000 } })
    for (let i = 0; i < 400; i++) await app.inject(`/api/products?page=${i}`)
    await eventually(() => app.cutover.paths()['products.list']?.shadowed === seen.length)
    expect(seen.length).toBeGreaterThan(60)
    expect(seen.length).toBeLessThan(140)
  })

  it('a client choosing request ids (requestIdHeader) cannot pick which requests are shadowed', async () => {
    const seen: string[] = []
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 0.1 } })
    app = await appWith({ flags, shadow: async (ctx) => void seen.push(ctx.request.url), shadowLimits: { maxConcurrent: 1000 } }, { requestIdHeader: 'x-request-id' })
    app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 30, query: ['page'] } } }, async () => ({ ok: true }))
    await app.ready()
    // Ids the bare hash would always sample: with the process's salt they are sampled at the rate like any others.
    const chosen = Array.from({ length: 5000 }, (_, i) => `id-${i}`).filter((id) => sampled('products.list', id, 0.1)).slice(0, 300)
    expect(chosen).toHaveLength(300)
    for (const [i, id] of chosen.entries()) await app.inject({ url: `/api/products?page=${i}`, headers: { 'x-request-id': id } })
    await eventually(() => app!.cutover.paths()['products.list']?.shadowed === seen.length)
    expect(seen.length).toBeGreaterThan(10)
    expect(seen.length).toBeLessThan(60)
  })

  it('a client that fixes its request id (requestIdHeader) is shadowed at the rate, neither always nor never', async () => {
    const seen: string[] = []
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 0.25 } })
    app = await appWith({ flags, shadow: async (ctx) => void seen.push(ctx.request.url), shadowLimits: { maxConcurrent: 1000 } }, { requestIdHeader: 'x-request-id' })
    app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 30, query: ['page'] } } }, async () => ({ ok: true }))
    await app.ready()
    // Before: the sample was a hash of the (salted) request id, so one fixed id was shadowed on all 400 requests or on none.
    for (let i = 0; i < 400; i++) await app.inject({ url: `/api/products?page=${i}`, headers: { 'x-request-id': 'always-the-same' } })
    await eventually(() => app!.cutover.paths()['products.list']?.shadowed === seen.length)
    expect(seen.length).toBeGreaterThan(60)
    expect(seen.length).toBeLessThan(140)
  })

  it('bounds shadows: beyond maxConcurrent they are dropped; past the timeout the signal aborts and the slot frees', async () => {
    const signals: AbortSignal[] = []
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
    // A handler that ignores its signal and never settles: only the timeout frees the slot.
    const shadow = (ctx: ShadowContext) => (signals.push(ctx.signal), new Promise<void>(() => {}))
    const { app } = await productsApp({ flags, shadow, shadowLimits: { maxConcurrent: 1, timeout: 100 } })
    await app.inject('/api/products?page=1')
    await app.inject('/api/products?page=2')
    await eventually(() => app.cutover.paths()['products.list']?.shadowTimedOut === 1)
    expect(signals).toHaveLength(1)
    expect(signals[0]?.aborted).toBe(true)
    expect(app.cutover.paths()['products.list']).toMatchObject({ shadowed: 1, shadowDropped: 1, shadowTimedOut: 1 })
    await app.inject('/api/products?page=3')
    await eventually(() => signals.length === 2)
  })

  it('starts a shadow on a later turn of the event loop, not in the microtasks of the response that sampled it', async () => {
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
    let turned = false
    const seen: boolean[] = []
    app = await appWith({ flags, shadow: async () => void seen.push(turned) })
    // Scheduled while the response is being sent: fires on the next turn, before anything queued after it.
    app.addHook('onSend', async (_request, _reply, payload) => {
      setImmediate(() => (turned = true))
      return payload
    })
    app.get('/api/products', { config: { cutover: { id: 'products.list', ttl: 30 } } }, async () => ({ ok: true }))
    await app.ready()
    await app.inject('/api/products')
    await eventually(() => seen.length === 1)
    // Run inline, the shadow would have started before that turn (requests read on it would wait for the shadow).
    expect(seen).toEqual([true])
  })

  it('a throwing shadow handler is counted and never reaches the user', async () => {
    const flags = new StaticFlagSource({ 'products.list': { mode: 'shadow', shadowRate: 1 } })
    const { app } = await productsApp({ flags, shadow: async () => { throw new Error('compare failed') } })
    expect((await app.inject('/api/products')).statusCode).toBe(200)
    await eventually(() => app.cutover.paths()['products.list']?.shadowFailed === 1)
  })

  it('app.cutover.kill() turns every route off in this process; revive() restores', async () => {
    const flags = new StaticFlagSource({ 'products.list': 'on' })
    const { app } = await productsApp({ flags })
    app.cutover.kill()
    expect(app.cutover.killed).toBe(true)
    expect((await app.inject('/api/products')).headers['cache-status']).toBe('cutover; fwd=bypass; detail=killed')
    expect(flags.killed).toBe(true)
    app.cutover.revive()
    expect((await app.inject('/api/products')).headers['cutover-path']).toBe('page')
  })

  it('the kill switch works without a flag source too, and CUTOVER_KILL=1 starts killed', async () => {
    process.env.CUTOVER_KILL = '1'
    const { app } = await productsApp({})
    expect((await app.inject('/api/products')).headers['cache-status']).toBe('cutover; fwd=bypass; detail=killed')
    app.cutover.revive()
    expect((await app.inject('/api/products')).headers['cutover-path']).toBe('page')
  })

  it("the source's kill switch (Unleash flag / file) shows as killed", async () => {
    const flags = new StaticFlagSource({ 'products.list': 'on' })
    const { app } = await productsApp({ flags })
    flags.set({ 'products.list': 'on' }, true)
    expect((await app.inject('/api/products')).headers['cache-status']).toBe('cutover; fwd=bypass; detail=killed')
  })

  it('static mode applies when no flag source is given', async () => {
    const { app, calls } = await productsApp({}, { mode: 'off' })
    await app.inject('/api/products')
    await app.inject('/api/products')
    expect(calls.n).toBe(2)
    expect(app.cutover.modeOf('products.list').mode).toBe('off')
  })

  it.each([
    [{ flags: {} }, /flags to be a FlagSource/],
    [{ identify: 'x-user' }, /identify to be a function/],
    [{ shadow: true }, /shadow to be a function/],
    [{ shadowLimits: { maxConcurrent: 0 } }, /shadowLimits.maxConcurrent/],
    [{ shadowLimits: { timeout: -1 } }, /shadowLimits.timeout/],
    [{ shadowLimits: { timeout: 2 ** 31 } }, /shadowLimits.timeout to be a number of ms > 0 and at most 2147483647/],
    [{ shadowLimits: { concurrency: 2 } }, /shadowLimits keys/],
    [{ shadowLimits: { maxLoopShare: 0 } }, /shadowLimits.maxLoopShare to be a number > 0/],
    [{ shadowLimits: { maxLoopShare: '5%' } }, /shadowLimits.maxLoopShare to be a number > 0/],
  ])('rejects %j at registration', async (options, message) => {
    await expect(appWith(options as CutoverOptions)).rejects.toThrow(message)
  })
})

