import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { appWith, eventually, sleep } from '../helpers/app.js'
import { StaticFlagSource } from '../helpers/flags.js'

/**
 * `config.cutover.handler`: the page path's handler. Every request that takes
 * the page path runs it; the legacy path runs the route's own handler.
 */
describe('config.cutover.handler (the page path handler)', () => {
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  const calls: Array<{ path: 'page' | 'legacy'; self: boolean }> = []
  const route = async (a: FastifyInstance, cutover: Record<string, unknown>): Promise<void> => {
    calls.length = 0
    a.get('/p', {
      config: {
        cutover: {
          id: 'p', ttl: 300, ...cutover,
          handler(this: FastifyInstance, request: FastifyRequest<{ Querystring: { n?: string } }>) {
            calls.push({ path: 'page', self: this === a })
            return { from: 'page', n: request.query.n ?? null }
          },
        },
      },
    }, async function (this: FastifyInstance, request: FastifyRequest<{ Querystring: { n?: string } }>) {
      calls.push({ path: 'legacy', self: this === a })
      return { from: 'legacy', n: request.query.n ?? null }
    })
    await a.ready()
  }

  it('mode on: a miss runs the page handler with `this` the instance; a hit runs neither', async () => {
    app = await appWith()
    await route(app, {})
    const miss = await app.inject('/p?n=1')
    expect(miss.json()).toEqual({ from: 'page', n: '1' })
    expect(miss.headers['cutover-path']).toBe('page')
    const hit = await app.inject('/p?n=1')
    expect(hit.headers['cache-status']).toMatch(/hit/)
    expect(calls).toEqual([{ path: 'page', self: true }])
  })

  it('mode off: the route handler runs and no page handler', async () => {
    app = await appWith()
    await route(app, { mode: 'off' })
    const res = await app.inject('/p')
    expect(res.json()).toEqual({ from: 'legacy', n: null })
    expect(res.headers['cutover-path']).toBe('legacy')
    expect(calls).toEqual([{ path: 'legacy', self: true }])
  })

  it('canary: identities in the rollout get the page handler, the others the route handler', async () => {
    const flags = new StaticFlagSource({ p: { mode: 'canary', percent: 100 } })
    app = await appWith({ flags, identify: (req) => String(req.headers['x-user']) })
    await route(app, {})
    expect((await app.inject({ url: '/p', headers: { 'x-user': 'a' } })).json()).toMatchObject({ from: 'page' })
    flags.set({ p: { mode: 'canary', percent: 0 } })
    expect((await app.inject({ url: '/p?n=2', headers: { 'x-user': 'a' } })).json()).toMatchObject({ from: 'legacy' })
    expect(calls.map((c) => c.path)).toEqual(['page', 'legacy'])
  })

  it('shadow: the user gets the route handler; the shadow render of the page path runs the page handler, its secondary the route handler', async () => {
    const flags = new StaticFlagSource({ p: { mode: 'shadow', shadowRate: 1 } })
    const source = injectCandidateSource()
    const seen: Array<{ fresh: unknown; legacy: unknown; control: unknown }> = []
    const shadow = async (ctx: ShadowContext): Promise<void> => {
      const fresh = await source.fresh(ctx, ctx.signal)
      const legacy = await source.legacy(ctx, ctx.signal)
      seen.push({ fresh: JSON.parse(fresh.body.toString()), legacy: JSON.parse(legacy.body.toString()), control: JSON.parse(ctx.control.body.toString()) })
    }
    app = await appWith({ flags, shadow })
    await route(app, {})
    const res = await app.inject('/p?n=3')
    expect(res.json()).toEqual({ from: 'legacy', n: '3' })
    await eventually(() => seen.length === 1)
    expect(seen[0]).toEqual({ control: { from: 'legacy', n: '3' }, fresh: { from: 'page', n: '3' }, legacy: { from: 'legacy', n: '3' } })
    expect(calls.map((c) => c.path)).toEqual(['legacy', 'page', 'legacy'])
    // The shadow render was not stored: a request on the page path now misses and renders.
    flags.set({ p: 'on' })
    expect((await app.inject('/p?n=3')).headers['cache-status']).toMatch(/fwd=miss/)
  })

  it('background refresh of a stale page runs the page handler, also when the user path is the page path', async () => {
    app = await appWith()
    await route(app, { ttl: 0.05, stale: 60 })
    await app.inject('/p')
    await sleep(80)
    const stale = await app.inject('/p')
    expect(stale.headers['cache-status']).toMatch(/fwd=stale/)
    await eventually(() => calls.length === 2)
    expect(calls.map((c) => c.path)).toEqual(['page', 'page'])
  })

  it('HEAD on the page path runs the page handler too', async () => {
    app = await appWith()
    await route(app, {})
    const res = await app.inject({ method: 'HEAD', url: '/p' })
    expect(res.statusCode).toBe(200)
    expect(calls).toEqual([{ path: 'page', self: true }])
  })

  it('a route without one runs its own handler on both paths', async () => {
    const flags = new StaticFlagSource({ q: 'on' })
    app = await appWith({ flags })
    const hits: string[] = []
    app.get('/q', { config: { cutover: { id: 'q', ttl: 30 } } }, async (_req, reply: FastifyReply) => {
      hits.push(String(reply.getHeader('cutover-path')))
      return { ok: true }
    })
    await app.ready()
    await app.inject('/q?a=1')
    flags.set({ q: 'off' })
    await app.inject('/q?a=2')
    expect(hits).toEqual(['page', 'legacy'])
  })

  it('a handler that is not a function is refused at registration', async () => {
    app = await appWith()
    expect(() => app!.get('/r', { config: { cutover: { id: 'r', ttl: 30, handler: 'page' as never } } }, async () => ({}))).toThrow(expect.objectContaining({
      code: 'CUTOVER_ERR_ROUTE_CONFIG_INVALID',
      message: 'expected route "r" (GET /r) option handler to be a function (the page path\'s route handler), got "page"',
    }))
  })
})
