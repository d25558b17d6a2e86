import { getEventListeners } from 'node:events'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { type CandidateSource, injectCandidateSource, type RenderedResponse } from '../../src/shadow/candidate-source.js'
import { SHADOW_HEADER, SHADOW_PATH_HEADER } from '../../src/headers.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner, type ShadowRunnerOptions } from '../../src/shadow/runner.js'

interface Product { id: number; name: string; price: number }

/** A tiny shop: the legacy handler and the page handler answer the same thing unless told to differ. */
function shop(): { products: Product[]; pageRoundsPrices: boolean; legacy(): unknown; page(): unknown } {
  let tick = 0
  const s = {
    products: [{ id: 1, name: 'a', price: 10.25 }, { id: 2, name: 'b', price: 3.5 }],
    pageRoundsPrices: false,
    legacy: () => ({ items: s.products.map((p) => ({ ...p })), generatedAt: `2026-01-01T00:00:${String(tick++ % 60).padStart(2, '0')}Z` }),
    page: () => ({
      items: s.products.map((p) => ({ ...p, price: s.pageRoundsPrices ? Math.round(p.price) : p.price })),
      generatedAt: `2026-01-01T00:00:${String(tick++ % 60).padStart(2, '0')}Z`,
    }),
  }
  return s
}

const json = (v: unknown, extra: Record<string, string> = {}): RenderedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', ...extra },
  body: Buffer.from(JSON.stringify(v)),
  durationMs: 1,
})

function context(control: RenderedResponse, over: Partial<ShadowContext['request']> = {}): ShadowContext {
  return {
    app: undefined as unknown as FastifyInstance,
    request: { routeId: 'products.list', method: 'GET', url: '/api/products', headers: { accept: 'application/json' }, ...over },
    control: { status: control.status, headers: control.headers, body: control.body, durationMs: control.durationMs, ...(control.dbCalls === undefined ? {} : { dbCalls: control.dbCalls }) },
    signal: new AbortController().signal,
  }
}

function runnerFor(s: ReturnType<typeof shop>, cached: () => RenderedResponse | undefined, extra: Partial<ShadowRunnerOptions> = {}) {
  const records: ShadowRecord[] = []
  const source: CandidateSource = {
    cached: async () => {
      const c = cached()
      return c ? { ...c, ageMs: 42_000 } : undefined
    },
    fresh: async () => json(s.page()),
    legacy: async () => json(s.legacy()),
  }
  const runner = createShadowRunner({ sink: { write: (r) => records.push(r) }, source, secondaryRate: 1, ...extra })
  return { runner, records }
}

describe('shadow runner', () => {
  it('reports a rounding change in the page handler as logic at the price path, the timestamp as noise', async () => {
    const s = shop()
    s.pageRoundsPrices = true
    const { runner, records } = runnerFor(s, () => undefined)
    await runner.handler(context(json(s.legacy())))
    const r = records[0]!
    expect(r).toMatchObject({ outcome: 'mismatch', cause: 'logic', candidateSource: 'fresh', pageAgeMs: null })
    expect(r.diffs.map((d) => [d.path, d.cause])).toEqual([
      ['/items/0/price', 'logic'],
      ['/items/1/price', 'logic'],
      ['/generatedAt', 'noise'],
    ])
    expect(r.patch).toContain('-      "price": 10.25')
    expect(r.patch).toContain('+      "price": 10')
  })

  it('reports a product updated after the page was cached as staleness with the page age', async () => {
    const s = shop()
    const snapshot = json({ ...(s.page() as object) })
    s.products[1]!.price = 4
    const { runner, records } = runnerFor(s, () => snapshot)
    await runner.handler(context({ ...json(s.legacy()), dbCalls: 101 }))
    const r = records[0]!
    expect(r).toMatchObject({ outcome: 'mismatch', cause: 'staleness', candidateSource: 'cache', pageAgeMs: 42_000 })
    expect(r.control.dbCalls).toBe(101)
    expect(r.candidate?.dbCalls).toBeNull()
    expect(r.diffs.find((d) => d.path === '/items/1/price')).toMatchObject({ cause: 'staleness', control: 4, candidate: 3.5 })
    expect(r.fresh).not.toBeNull()
  })

  it('reports a logic change the cached page still hides, with the fresh render in the diff', async () => {
    const s = shop()
    const cachedPage = json({ ...(s.page() as object), generatedAt: 'fixed' })
    s.pageRoundsPrices = true
    const { runner, records } = runnerFor(s, () => cachedPage, { freshRate: 1, secondaryRate: 0, routes: { 'products.list': { rules: { ignore: [{ path: '/generatedAt', reason: 'render time' }] } } } })
    await runner.handler(context(json(s.legacy())))
    expect(records[0]).toMatchObject({ outcome: 'mismatch', cause: 'logic', candidateSource: 'cache' })
    expect(records[0]!.diffs.filter((d) => d.cause === 'logic').map((d) => d.path)).toEqual(['/items/0/price', '/items/1/price'])
    expect(records[0]!.patch).toContain('+++ fresh page render')
  })

  it('learns noise from secondaries so a later sample without one still calls the timestamp noise', async () => {
    const s = shop()
    let secondary = true
    const { runner, records } = runnerFor(s, () => undefined, { random: () => (secondary ? 0 : 0.99), secondaryRate: 0.5, secondaryOnMismatch: false })
    for (let i = 0; i < 5; i++) await runner.handler(context(json(s.legacy())))
    secondary = false
    await runner.handler(context(json(s.legacy())))
    expect(records.at(-1)).toMatchObject({ outcome: 'mismatch', cause: 'noise' })
  })

  it('stops rendering secondaries for mismatches once every differing path is known noise', async () => {
    const s = shop()
    let legacyRenders = 0
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({
      sink: { write: (r) => records.push(r) },
      secondaryRate: 0,
      source: { cached: async () => undefined, fresh: async () => json(s.page()), legacy: async () => { legacyRenders++; return json(s.legacy()) } },
    })
    for (let i = 0; i < 8; i++) await runner.handler(context(json(s.legacy())))
    expect(records.at(-1)).toMatchObject({ cause: 'noise' })
    // Four secondaries make /generatedAt noise (Wilson lower bound over 0.5); after that none are needed.
    expect(legacyRenders).toBe(4)
  })

  it('renders no fresh page for a cached page whose only differences are known noise', async () => {
    const s = shop()
    let freshRenders = 0
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({
      sink: { write: (r) => records.push(r) },
      secondaryRate: 0,
      freshRate: 0,
      source: {
        cached: async () => ({ ...json(s.page()), ageMs: 1000 }),
        fresh: async () => { freshRenders++; return json(s.page()) },
        legacy: async () => json(s.legacy()),
      },
    })
    for (let i = 0; i < 8; i++) await runner.handler(context(json(s.legacy())))
    expect(records.at(-1)).toMatchObject({ cause: 'noise', candidateSource: 'cache', fresh: null })
    // Fresh renders while /generatedAt was unexplained (as long as the secondaries took to learn it), none after.
    expect(freshRenders).toBe(4)
    s.pageRoundsPrices = true
    await runner.handler(context(json(s.legacy())))
    expect(freshRenders).toBe(5)
    expect(records.at(-1)).toMatchObject({ cause: 'logic' })
  })

  it('builds at most maxPatchesPerMinute unified diffs per route', async () => {
    const s = shop()
    s.pageRoundsPrices = true
    const t = { now: 0 }
    const { runner, records } = runnerFor(s, () => undefined, { maxPatchesPerMinute: 1, now: () => t.now })
    await runner.handler(context(json(s.legacy())))
    await runner.handler(context(json(s.legacy())))
    t.now = 60_000
    await runner.handler(context(json(s.legacy())))
    expect(records.map((r) => r.patch !== null)).toEqual([true, false, true])
    expect(records.map((r) => r.cause)).toEqual(['logic', 'logic', 'logic'])
  })

  it('keeps a budget per kind of mismatch: a stale page among rounding mismatches still gets its diff', async () => {
    const s = shop()
    s.pageRoundsPrices = true
    let cached: RenderedResponse | undefined = undefined
    const { runner, records } = runnerFor(s, () => cached, { maxPatchesPerMinute: 1, now: () => 0, secondaryRate: 0 })
    await runner.handler(context(json(s.legacy())))
    await runner.handler(context(json(s.legacy())))
    // A page cached before a rename: it differs at the name too, a kind of mismatch not seen this minute.
    cached = json(s.page())
    s.products[0]!.name = 'renamed'
    await runner.handler(context(json(s.legacy())))
    expect(records.map((r) => r.patch !== null)).toEqual([true, false, true])
    expect(records[2]!.diffs.find((d) => d.path === '/items/0/name')?.cause).toBe('staleness')
  })

  it('scrubs the value of a declared session cookie the control set, even when the candidate sets cookies of its own', async () => {
    const s = shop()
    s.pageRoundsPrices = true
    // The control sets the declared session cookie and echoes its value; the candidate sets two cookies of its own.
    const control = json({ ...(s.legacy() as object), echo: 'SESSIONVALUE123' }, { 'set-cookie': 'sessionId=SESSIONVALUE123; Path=/' })
    const candidate: RenderedResponse = { ...json(s.page()), headers: { 'content-type': 'application/json; charset=utf-8', 'set-cookie': ['sessionId=OTHERVALUE999; Path=/', 'theme=darkmode42'] } }
    const { runner, records } = runnerFor(s, () => candidate, { secondaryRate: 0 })
    const ctx = { ...context(control), app: { cutover: { sessionCookies: new Set(['sessionId']) } } as unknown as FastifyInstance }
    await runner.handler(ctx)
    expect(records).toHaveLength(1)
    expect(records[0]!.outcome).toBe('mismatch')
    expect(JSON.stringify(records[0])).not.toContain('SESSIONVALUE123')
  })

  it('surfaces a cached page carrying Set-Cookie as a leak first', async () => {
    const s = shop()
    s.pageRoundsPrices = true
    const cachedPage = json(s.page(), { 'set-cookie': 'sid=other-user' })
    const { runner, records } = runnerFor(s, () => cachedPage)
    await runner.handler(context(json(s.legacy())))
    expect(records[0]!.cause).toBe('leak')
    expect(records[0]!.diffs[0]).toMatchObject({ path: '@header/set-cookie', cause: 'leak' })
  })

  it('finds another user\'s value in a shared cached page', async () => {
    const me = (name: string): RenderedResponse => json({ account: { email: `${name}@example.com` }, total: 3 })
    const cache: { page?: RenderedResponse } = {}
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({
      sink: { write: (r) => records.push(r) },
      routes: { 'account.summary': { perUserPaths: ['/account/email'] } },
      secondaryRate: 0,
      secondaryOnMismatch: false,
      freshRate: 0,
      source: { cached: async () => (cache.page ? { ...cache.page, ageMs: 5 } : undefined), fresh: async () => me('alice'), legacy: async () => me('alice') },
    })
    const req = (auth: string) => ({ routeId: 'account.summary', headers: { authorization: auth } })
    await runner.handler(context(me('alice'), req('Bearer alice')))
    cache.page = me('alice')
    await runner.handler(context(me('bob'), req('Bearer bob')))
    expect(records[1]).toMatchObject({ cause: 'leak' })
    expect(records[1]!.diffs[0]).toMatchObject({ path: '/account/email', cause: 'leak' })
  })

  it('only shadows GET/HEAD and skips when the concurrency cap is reached', async () => {
    const s = shop()
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({
      sink: { write: (r) => records.push(r) },
      maxConcurrent: 1,
      source: { cached: async () => { await gate; return undefined }, fresh: async () => json(s.page()), legacy: async () => json(s.legacy()) },
    })
    await runner.handler(context(json(s.legacy()), { method: 'POST' }))
    const first = runner.handler(context(json(s.legacy())))
    await runner.handler(context(json(s.legacy())))
    release()
    await first
    expect(runner.stats()).toEqual({ ran: 1, errors: 0, skipped: { method: 1, breaker: 0, busy: 1 } })
    expect(records).toHaveLength(1)
  })

  it('records errors and timeouts, and stops shadowing a route whose shadows keep failing', async () => {
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({
      sink: { write: (r) => records.push(r) },
      timeoutMs: 20,
      breaker: { window: 4, minSamples: 4, maxBadRate: 0.5, cooldownMs: 60_000 },
      source: { cached: () => new Promise(() => {}), fresh: async () => { throw new Error('boom') }, legacy: async () => { throw new Error('boom') } },
    })
    for (let i = 0; i < 6; i++) await runner.handler(context(json({})))
    expect(records).toHaveLength(4)
    expect(records[0]).toMatchObject({ outcome: 'error', error: expect.stringMatching(/aborted/) })
    expect(runner.stats().skipped.breaker).toBe(2)
    expect(runner.openRoutes()).toEqual(['products.list'])
  })

  it("lets go of the caller's signal and its own timer once a shadow is done", async () => {
    const { runner, records } = runnerFor(shop(), () => undefined)
    const parent = new AbortController()
    const ctx = { ...context(json(shop().legacy())), signal: parent.signal }
    await runner.handler(ctx)
    expect(records).toHaveLength(1)
    // A listener left on a long-lived signal would keep every finished shadow reachable.
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(0)
  })

  it("aborts a running shadow when the caller's signal aborts", async () => {
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({
      sink: { write: (r) => records.push(r) },
      source: { cached: () => new Promise(() => {}), fresh: async () => json({}), legacy: async () => json({}) },
    })
    const parent = new AbortController()
    const done = runner.handler({ ...context(json({})), signal: parent.signal })
    parent.abort(new Error('cutover is closing'))
    await done
    expect(records[0]).toMatchObject({ outcome: 'error', error: expect.stringMatching(/aborted: cutover is closing/) })
  })

  it('rejects bad options with a coded error', () => {
    expect(() => createShadowRunner({ sink: { write: () => {} }, freshRate: 2 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_SHADOW_OPTIONS_INVALID' }))
    expect(() => createShadowRunner({ sink: { write: () => {} }, routes: { r: { rules: { ignore: [{ path: 'x', reason: 'r' }] } } } })).toThrow(/ignore\[0\]\.path/)
  })
})

describe('inject candidate source on a Fastify app that honours the shadow marker', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => app?.close())

  it('renders the page and legacy paths with the token and runs from onResponse without touching the user response', async () => {
    const s = shop()
    s.pageRoundsPrices = true
    const token = 'tok-' + Math.random().toString(36).slice(2)
    const seen: Array<string | undefined> = []
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({ sink: { write: (r) => records.push(r) }, source: injectCandidateSource(), secondaryRate: 1 })
    app = Fastify()
    app.decorate('cutover', { shadowToken: token } as unknown as FastifyInstance['cutover'])
    const done: Array<Promise<void>> = []
    app.get('/api/products', async (req) => {
      const marked = req.headers[SHADOW_HEADER] === token
      seen.push(marked ? String(req.headers[SHADOW_PATH_HEADER] ?? 'page') : undefined)
      return marked && req.headers[SHADOW_PATH_HEADER] !== 'legacy' ? s.page() : s.legacy()
    })
    const payloads = new WeakMap<object, unknown>()
    app.addHook('onSend', async (req, _reply, payload) => {
      payloads.set(req, payload)
      return payload
    })
    app.addHook('onResponse', async (req, reply) => {
      if (req.headers[SHADOW_HEADER] !== undefined) return
      const body = Buffer.from(String(payloads.get(req)))
      done.push(runner.handler({
        app: app!,
        request: { routeId: 'products.list', method: req.method, url: req.url, headers: req.headers },
        control: { status: reply.statusCode, headers: reply.getHeaders(), body, durationMs: reply.elapsedTime },
        signal: new AbortController().signal,
      }))
    })
    const res = await app.inject({ method: 'GET', url: '/api/products' })
    expect(res.json<{ items: Product[] }>().items[0]!.price).toBe(10.25)
    await Promise.all(done)
    expect(seen).toEqual([undefined, 'page', 'legacy'])
    expect(records[0]).toMatchObject({ cause: 'logic', candidateSource: 'fresh' })
  })

  it('fails the shadow (not the request) when no shadow token is registered', async () => {
    app = Fastify()
    app.get('/x', async () => ({}))
    await app.ready()
    const records: ShadowRecord[] = []
    const runner = createShadowRunner({ sink: { write: (r) => records.push(r) } })
    await runner.handler({ ...context(json({})), app })
    expect(records[0]).toMatchObject({ outcome: 'error', error: expect.stringMatching(/shadowToken/) })
  })
  it('scrubs the secret query values a failing render carried out of the stored error', async () => {
    const records: ShadowRecord[] = []
    const failing: CandidateSource = {
      cached: async () => undefined,
      fresh: async (ctx) => { throw new Error(`GET ${ctx.request.url} failed: upstream said ${encodeURIComponent('s3cret/tok')}`) },
      legacy: async () => json({}),
    }
    const runner = createShadowRunner({ sink: { write: (r) => records.push(r) }, source: failing, secondaryRate: 0 })
    await runner.handler(context(json({ ok: 1 }), { url: '/api/products?token=s3cret%2Ftok&page=2' }))
    expect(records[0]).toMatchObject({ outcome: 'error', url: '/api/products?token=%5Bredacted%5D&page=2' })
    expect(records[0]!.error).toBe('GET /api/products?token=[redacted]&page=2 failed: upstream said [redacted]')
  })
})
