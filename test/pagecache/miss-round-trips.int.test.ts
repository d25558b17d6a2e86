import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import cutover from '../../src/plugin.js'
import { eventually } from '../helpers/app.js'
import { RecordingStore } from '../helpers/recording-store.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

describe('a miss on a shared store', () => {
  let r: RedisForTest | undefined
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
    await r?.cleanup()
  })

  /** An app whose /page is cached on a recording store (without getOrLease when `lookupLeases` is false); counts its renders. */
  async function pageApp(name: string, lookupLeases = true): Promise<{ page: FastifyInstance; store: RecordingStore; renders: () => number }> {
    r = redisForTest(name)
    const store = new RecordingStore({ redis: r.redis, prefix: r.prefix })
    if (!lookupLeases) Object.assign(store, { getOrLease: undefined })
    app = Fastify({ logger: false })
    await app.register(cutover, { store })
    let n = 0
    app.get('/page', { config: { cutover: { id: 'page', ttl: 60 } } }, async () => ({ n: ++n }))
    await app.ready()
    return { page: app, store, renders: () => n }
  }

  it('takes the render lease in the lookup: one script, no separate lease call', async () => {
    const { page, store, renders } = await pageApp('miss-rt-lookup')

    const res = await page.inject('/page')
    expect(res.headers['cache-status']).toContain('fwd=miss; stored')
    expect(store.calls.slice(0, 2)).toEqual(['lookup+lease:start', 'lookup+lease:end'])
    expect(store.calls).not.toContain('lease:start')
    // The lease is released once the page is stored, so another process renders nothing twice and waits for nothing.
    await eventually(async () => (await r!.redis.keys(`${r!.prefix}:*:lease:*`)).length === 0)
    const again = await page.inject('/page')
    expect(again.headers['cache-status']).toContain('hit')
    expect(renders()).toBe(1)
  })

  it('on a store without a lookup that leases, reads the tag versions beside the render lease, not after it', async () => {
    const { page, store, renders } = await pageApp('miss-rt', false)

    const res = await page.inject('/page')
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-status']).toContain('fwd=miss')
    const render = store.calls.slice(0, 4)
    // Both requests are on the wire before either answer is awaited.
    expect(render.indexOf('tags:start')).toBeLessThan(render.indexOf('lease:end'))
    expect(render.indexOf('lease:start')).toBeLessThan(render.indexOf('tags:end'))
    expect(renders()).toBe(1)
  })

  it('answers a miss before the versions of the tags its body names are read, stores the page once they are, and a purge of such a tag still reaches it', async () => {
    r = redisForTest('miss-rt-body')
    const store = new RecordingStore({ redis: r.redis, prefix: r.prefix })
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => (release = resolve))
    const read = store.tagStates.bind(store)
    // The read of the body's tag (product:7) waits until the test lets it go; the route's own tags do not.
    store.tagStates = async (tags) => {
      if (tags.includes('product:7')) await held
      return read(tags)
    }
    app = Fastify({ logger: false })
    await app.register(cutover, { store })
    let renders = 0
    app.get('/p/:id', { config: { cutover: { id: 'product', ttl: 60, tags: (_req: unknown, body: unknown) => [`product:${(body as { id: number }).id}`] } } }, async () => ({ id: 7, n: ++renders }))
    await app.ready()

    // Answered while the tag read is held: before, the response waited for it.
    const first = await app.inject('/p/7')
    expect(first.headers['cache-status']).toContain('fwd=miss; stored')
    release()
    await eventually(async () => (await app!.inject('/p/7')).headers['cache-status']?.toString().includes('hit') === true)
    expect(renders).toBe(1)
    await app.cutover.invalidate({ tags: ['product:7'] })
    const after = await app.inject('/p/7')
    expect(after.headers['cache-status']).not.toContain('hit')
    expect(renders).toBe(2)
  })

  it('still answers from the handler, uncached, when the tag read fails', async () => {
    r = redisForTest('miss-rt-fail')
    const store = new RecordingStore({ redis: r.redis, prefix: r.prefix })
    store.tagStates = () => Promise.reject(new Error('tag read failed'))
    app = Fastify({ logger: false })
    await app.register(cutover, { store })
    app.get('/page', { config: { cutover: { id: 'page', ttl: 60 } } }, async () => ({ ok: true }))
    await app.ready()

    const res = await app.inject('/page')
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ ok: true })
    expect(res.headers['cache-status']).toContain('detail=cache-error')
  })
})
