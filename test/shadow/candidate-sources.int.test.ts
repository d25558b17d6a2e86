import { mkdtempSync, rmSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Meter } from '../../src/meter/meter.js'
import { cutoverMeter } from '../../src/meter/plugin.js'
import { RENDER_ID_HEADER } from '../../src/headers.js'
import { awaitedRenders, awaitRender, releaseRender } from '../../src/render-ids.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'
import cutover from '../../src/plugin.js'
import { injectCandidateSource, type CandidateSource } from '../../src/shadow/candidate-source.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { loopbackCandidateSource, loopbackTarget } from '../../src/shadow/loopback-source.js'
import { StaticFlagSource } from '../helpers/flags.js'
import { redisForTest } from '../helpers/redis.js'

interface Driver {
  name: string
  source: () => CandidateSource
  /** How the app listens before the renders; none: it doesn't. */
  listen?: (dir: string) => { host: string; port: number } | { path: string }
  /** Whether the route's code sees a request from a real socket. */
  realSocket: boolean
}

const drivers: Driver[] = [
  { name: 'injectCandidateSource', source: () => injectCandidateSource(), realSocket: false },
  { name: 'loopbackCandidateSource, app on 127.0.0.1', source: () => loopbackCandidateSource(), listen: () => ({ host: '127.0.0.1', port: 0 }), realSocket: true },
  { name: 'loopbackCandidateSource, app on 0.0.0.0', source: () => loopbackCandidateSource(), listen: () => ({ host: '0.0.0.0', port: 0 }), realSocket: true },
  { name: 'loopbackCandidateSource, app on a unix socket', source: () => loopbackCandidateSource(), listen: (dir) => ({ path: join(dir, 'app.sock') }), realSocket: true },
  { name: 'loopbackCandidateSource, app not listening (falls back to app.inject)', source: () => loopbackCandidateSource(), realSocket: false },
]

/** The context a shadow handler gets for a GET of `url` on route `routeId`, with a trivial control. */
function shadowContext(app: FastifyInstance, routeId: string, url: string, headers: ShadowContext['request']['headers'], signal = new AbortController().signal): ShadowContext {
  return { app, request: { routeId, method: 'GET', url, headers }, control: { status: 200, headers: {}, body: Buffer.from('{}'), durationMs: 1 }, signal }
}

/**
 * The contract every candidate source keeps, whichever way it renders: the
 * page path for `fresh`, the legacy path for `legacy`, never stored; the
 * user's headers forwarded but hop-by-hop ones; the meter's counts of the
 * render's own request context; nothing left waiting afterwards.
 */
describe.each(drivers)('candidate source contract: $name', (driver) => {
  const env = redisForTest('candsrc')
  const dir = mkdtempSync(join(tmpdir(), 'cutover-candsrc-'))
  let app: FastifyInstance
  let meter: Meter
  let source: CandidateSource

  beforeAll(async () => {
    meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0 })
    const redis = meterRedis(env.redis, meter)
    app = Fastify({ logger: false })
    await app.register(cutoverMeter, { meter })
    await app.register(cutover, { flags: new StaticFlagSource({ 'contract.page': { mode: 'shadow', shadowRate: 0 } }), prefix: env.prefix })
    app.get('/page', { config: { cutover: { id: 'contract.page', ttl: 300 } } }, async (request, reply) => {
      await redis.get(`${env.prefix}:object`)
      return {
        path: reply.getHeader('cutover-path') ?? 'page',
        language: request.headers['accept-language'] ?? null,
        upgrade: request.headers.upgrade ?? null,
        // light-my-request's socket is a stand-in of its own.
        realSocket: request.raw.socket instanceof Socket,
      }
    })
    const listen = driver.listen?.(dir)
    if (listen) await app.listen(listen)
    else await app.ready()
    source = driver.source()
  })
  afterAll(async () => {
    await app?.close()
    await meter?.close()
    await env.cleanup()
    rmSync(dir, { recursive: true, force: true })
  })

  const context = (): ShadowContext =>
    shadowContext(app, 'contract.page', '/page?x=1', { host: 'shop.example', 'accept-language': 'fr', upgrade: 'websocket', connection: 'upgrade' })

  it('renders the page path fresh, with the user headers but hop-by-hop ones, and stores nothing', async () => {
    const r = await source.fresh(context(), new AbortController().signal)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body.toString())).toEqual({ path: 'page', language: 'fr', upgrade: null, realSocket: driver.realSocket })
    expect(r.headers['content-type']).toMatch(/application\/json/)
    expect(r.durationMs).toBeGreaterThan(0)
    expect(await app.cutover.peek('contract.page', { url: '/page?x=1', query: { x: '1' }, headers: { host: 'shop.example', 'accept-language': 'fr' } })).toBeUndefined()
  })

  it("takes no render header from the user's request: a copied x-cutover-shadow-path can't turn the candidate into the legacy path", async () => {
    const ctx = context()
    ctx.request.headers = { ...ctx.request.headers, 'x-cutover-shadow-path': 'legacy', 'x-cutover-render': 'chosen', 'x-cutover-shadow': 'guess' }
    const r = await source.fresh(ctx, new AbortController().signal)
    expect(JSON.parse(r.body.toString())).toMatchObject({ path: 'page' })
    expect(r.headers['cutover-path']).toBe('page')
  })

  it('renders the legacy path for the secondary', async () => {
    const r = await source.legacy(context(), new AbortController().signal)
    expect(JSON.parse(r.body.toString())).toMatchObject({ path: 'legacy', realSocket: driver.realSocket })
    expect(r.headers['cutover-path']).toBe('legacy')
  })

  it("carries the meter's counts of the render's own request, and leaves nothing waiting", async () => {
    const [page, legacy] = await Promise.all([source.fresh(context(), new AbortController().signal), source.legacy(context(), new AbortController().signal)])
    expect(page).toMatchObject({ dbCalls: 0, redisCalls: 1, refreshJobs: 0 })
    expect(legacy).toMatchObject({ dbCalls: 0, redisCalls: 1, refreshJobs: 0 })
    expect(awaitedRenders()).toBe(0)
  })
})

describe('loopbackCandidateSource over a socket', () => {
  let app: FastifyInstance
  let release: () => void = () => undefined
  let onWritten: () => void = () => undefined
  beforeAll(async () => {
    app = Fastify({ logger: false })
    await app.register(cutover, { flags: new StaticFlagSource({ slow: 'on' }) })
    app.get('/slow', { config: { cutover: { id: 'slow', ttl: 60 } } }, async () => {
      await new Promise<void>((resolve) => (release = resolve))
      return { late: true }
    })
    app.get('/fast', {
      config: { cutover: { id: 'fast', ttl: 60 } },
      onResponse: (_request, _reply, done) => {
        onWritten()
        done()
      },
    }, async () => ({ fast: true }))
    await app.listen({ host: '127.0.0.1', port: 0 })
  })
  afterAll(async () => {
    release()
    await app?.close()
  })

  it('aborts a render when its signal is aborted, and leaves nothing waiting', async () => {
    const controller = new AbortController()
    const ctx = shadowContext(app, 'slow', '/slow', { host: 'shop.example' }, controller.signal)
    const pending = loopbackCandidateSource().fresh(ctx, controller.signal)
    setTimeout(() => controller.abort(new Error('shadow timed out')), 20)
    await expect(pending).rejects.toThrow(/abort|timed out/i)
    expect(awaitedRenders()).toBe(0)
  })

  it('times a render as the user\'s response is, from when the plugin took it up to when it was written, without its waits in the socket', async () => {
    const ctx = shadowContext(app, 'fast', '/fast', { host: 'shop.example' })
    const written = new Promise<void>((resolve) => (onWritten = resolve))
    const sent = performance.now()
    const pending = loopbackCandidateSource().fresh(ctx, ctx.signal)
    // The event loop is busy for 60 ms: the request waits in the socket meanwhile.
    while (performance.now() - sent < 60) { /* busy */ }
    // And once the response is written, its answer waits to be read for as long.
    await written
    const at = performance.now()
    while (performance.now() - at < 60) { /* busy */ }
    const r = await pending
    expect(performance.now() - sent).toBeGreaterThanOrEqual(120)
    expect(JSON.parse(r.body.toString())).toEqual({ fast: true })
    expect(r.durationMs).toBeLessThan(50)
  })

  it('targets the loopback address of a wildcard listener', async () => {
    const wildcard = Fastify({ logger: false })
    try {
      await wildcard.listen({ host: '0.0.0.0', port: 0 })
      expect(loopbackTarget(wildcard)).toEqual({ host: '127.0.0.1', port: (wildcard.server.address() as { port: number }).port })
    } finally {
      await wildcard.close()
    }
    expect(loopbackTarget(wildcard)).toBeUndefined()
  })

  it('refuses a maxSockets that is not a positive integer', () => {
    expect(() => loopbackCandidateSource({ maxSockets: 0 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_SHADOW_OPTIONS_INVALID', message: 'expected shadow option maxSockets to be an integer >= 1, got 0' }))
    expect(() => loopbackCandidateSource({ maxSockets: 1.5 })).toThrow(/maxSockets to be an integer >= 1, got 1.5/)
  })
})

describe('render ids', () => {
  const env = redisForTest('renderids')
  let app: FastifyInstance
  let meter: Meter
  beforeAll(async () => {
    meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0 })
    app = Fastify({ logger: false })
    await app.register(cutoverMeter, { meter })
    await app.register(cutover, {})
    app.get('/x', async () => ({ ok: true }))
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await meter?.close()
    await env.cleanup()
  })

  it("binds only a shadow request to a waiting render: a user's request naming one is ignored", async () => {
    const slot = awaitRender('guessed')
    try {
      await app.inject({ url: '/x', headers: { [RENDER_ID_HEADER]: 'guessed' } })
      await app.inject({ url: '/x', headers: { [RENDER_ID_HEADER]: 'guessed', 'x-cutover-shadow': 'not-the-token' } })
      expect(slot.raw).toBeUndefined()
      await app.inject({ url: '/x', headers: { [RENDER_ID_HEADER]: 'guessed', 'x-cutover-shadow': app.cutover.shadowToken } })
      expect(slot.raw).toBeDefined()
    } finally {
      releaseRender('guessed')
    }
    expect(awaitedRenders()).toBe(0)
  })
})
