import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { PageCache } from '../../src/pagecache/page-cache.js'
import type { PageStore } from '../../src/pagecache/store.js'
import { appWith, sleep, untilHit } from '../helpers/app.js'

/** The same memory store without the held reads: every lookup is a promise. */
function withoutHeldReads(store: MemoryPageStore): PageStore {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'getHeld' || name === 'tagStatesHeld') return undefined
      const value: unknown = Reflect.get(target, name, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

// A page held in process memory is answered in the hook's own turn: PageCache.onRequest
// returns `true`, not a promise, and the plugin's hook sends it without one.
describe('a hit from process memory', () => {
  const apps: FastifyInstance[] = []
  afterEach(async () => {
    vi.restoreAllMocks()
    await Promise.all(apps.splice(0).map((app) => app.close()))
  })

  async function app(store: PageStore, route: Record<string, unknown> = {}): Promise<{ app: FastifyInstance; renders: { n: number } }> {
    const renders = { n: 0 }
    const a = await appWith({ store })
    a.get('/p', { config: { cutover: { id: 'p', ttl: 30, tags: ['things'], ...route } } }, async () => {
      renders.n++
      return { n: renders.n }
    })
    await a.ready()
    apps.push(a)
    return { app: a, renders }
  }

  const answers = (spy: { mock: { results: Array<{ value: unknown }> } }): unknown[] => spy.mock.results.map((r) => (r.value instanceof Promise ? 'promise' : r.value))

  it('is answered without a promise, and a miss or an invalidated page still take the async path', async () => {
    const { app: a, renders } = await app(new MemoryPageStore())
    const onRequest = vi.spyOn(PageCache.prototype, 'onRequest')
    expect((await a.inject('/p')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    await untilHit(a, '/p')
    const hit = await a.inject('/p')
    expect(hit.headers['cache-status']).toMatch(/^cutover; hit; ttl=\d+$/)
    expect(hit.headers['cutover-path']).toBe('page')
    expect(hit.json()).toEqual({ n: 1 })
    const results = answers(onRequest)
    expect(results[0]).toBe('promise')
    expect(results.at(-1)).toBe(true)
    // Invalidated: the held page is gone, so the lookup goes on to a render.
    await a.cutover.invalidate({ tags: ['things'] })
    const after = await a.inject('/p')
    expect(after.headers['cache-status']).toMatch(/^cutover; fwd=miss/)
    expect(after.json()).toEqual({ n: 2 })
    expect(answers(onRequest).at(-1)).toBe('promise')
    expect(renders.n).toBe(2)
  })

  it('serves a stale held page in the same turn and refreshes it behind', async () => {
    const { app: a, renders } = await app(new MemoryPageStore(), { ttl: 1, stale: 60 })
    await a.inject('/p')
    await untilHit(a, '/p')
    await sleep(1100)
    const onRequest = vi.spyOn(PageCache.prototype, 'onRequest')
    const stale = await a.inject('/p')
    expect(stale.headers['cache-status']).toMatch(/^cutover; fwd=stale/)
    expect(stale.json()).toEqual({ n: 1 })
    // The user's request; the refresh behind it is a render of cutover's own, through the same hook.
    expect(answers(onRequest)[0]).toBe(true)
    await untilHit(a, '/p')
    expect(renders.n).toBe(2)
  })

  it('a store without held reads answers the same, through a promise', async () => {
    const { app: a, renders } = await app(withoutHeldReads(new MemoryPageStore()))
    await a.inject('/p')
    await untilHit(a, '/p')
    const onRequest = vi.spyOn(PageCache.prototype, 'onRequest')
    const hit = await a.inject('/p')
    expect(hit.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(hit.headers['cutover-path']).toBe('page')
    expect(hit.json()).toEqual({ n: 1 })
    expect(answers(onRequest)).toEqual(['promise'])
    expect(renders.n).toBe(1)
  })

  it('a held page whose tag states the store fails to read is a cache error, not a 5xx', async () => {
    const store = new MemoryPageStore()
    const { app: a, renders } = await app(store)
    await a.inject('/p')
    await untilHit(a, '/p')
    vi.spyOn(store, 'tagStatesHeld').mockImplementation(() => {
      throw new Error('broken')
    })
    vi.spyOn(store, 'tagStates').mockRejectedValue(new Error('broken'))
    const res = await a.inject('/p')
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-status']).toBe('cutover; fwd=bypass; detail=cache-error')
    expect(renders.n).toBe(2)
  })

  it('an error thrown on the way to the cache is the route error it was (the hook hands it to Fastify)', async () => {
    const a = await appWith({ store: new MemoryPageStore() })
    a.get('/u', {
      config: {
        cutover: {
          id: 'u', ttl: 30, audience: 'user',
          user: () => {
            throw new Error('who asks?')
          },
        },
      },
    }, async () => ({ ok: true }))
    apps.push(a)
    const res = await a.inject('/u')
    expect(res.statusCode).toBe(500)
    expect(res.json()).toMatchObject({ message: 'who asks?' })
  })
})
