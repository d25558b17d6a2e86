import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import cutover from '../../src/plugin.js'
import { GuardedStore, leaseToken } from '../../src/pagecache/guarded-store.js'
import { TAG_VERSION_FIELD } from '../../src/pagecache/keys.js'
import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { LookupOrLease, TagState } from '../../src/pagecache/store.js'
import { makePage } from '../contract/page-store.contract.js'
import { RecordingStore } from '../helpers/recording-store.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

const key = { route: 'products.list', hash: 'rt1' }

describe('a hit on a shared store', () => {
  let r: RedisForTest | undefined
  let app: FastifyInstance | undefined
  afterEach(async () => {
    await app?.close()
    app = undefined
    await r?.cleanup()
  })

  async function pageApp(name: string): Promise<{ page: FastifyInstance; store: RecordingStore; renders: () => number }> {
    r = redisForTest(name)
    const store = new RecordingStore({ redis: r.redis, prefix: r.prefix })
    app = Fastify({ logger: false })
    await app.register(cutover, { store })
    let n = 0
    app.get('/page', { config: { cutover: { id: 'page', ttl: 60, tags: ['catalog'] } } }, async () => ({ n: ++n }))
    await app.ready()
    return { page: app, store, renders: () => n }
  }

  it('asks for the states of a page it has read before in the lookup itself: no second round trip', async () => {
    const { page, store, renders } = await pageApp('hit-rt')
    expect((await page.inject('/page')).headers['cache-status']).toContain('stored')
    // The first hit decodes the page; it knows its tags only then and asks for their states after.
    store.calls.length = 0
    expect((await page.inject('/page')).headers['cache-status']).toContain('hit')
    expect(store.calls).toEqual(['lookup+lease:start', 'lookup+lease:end', 'tags:start', 'tags:end'])

    store.calls.length = 0
    expect((await page.inject('/page')).headers['cache-status']).toContain('hit')
    // The tags' states come with the page, in the lookup's one script; nothing is asked after.
    expect(store.calls).toEqual(['lookup+lease:start', 'lookup+lease:end'])
    expect(renders()).toBe(1)
  })

  it('still sees a purge made between two hits', async () => {
    const { page, renders } = await pageApp('hit-rt-purge')
    await page.inject('/page')
    await page.inject('/page')
    expect((await page.inject('/page')).headers['cache-status']).toContain('hit')
    await page.cutover.invalidate({ tags: ['catalog'] })
    const after = await page.inject('/page')
    expect(after.headers['cache-status']).not.toMatch(/;\s*hit/)
    expect(renders()).toBe(2)
  })

  it('gives no states for a page whose tags changed since it was last read, so none is judged on a partial answer', async () => {
    r = redisForTest('hit-rt-store')
    const store = new RedisPageStore({ redis: r.redis, prefix: r.prefix })
    await store.set(key, makePage({ tags: { a: 0 } }))
    expect((await store.getOrLease(key, 1000, leaseToken())).tagStates).toBeUndefined() // not read before: no guess
    const again = await store.getOrLease(key, 1000, leaseToken())
    expect(again.tagStates).toEqual({ a: { version: 0, hard: 0 } })

    // Rewritten (by another process, say) with a tag the last read did not have, and that tag purged.
    await store.purgeTags(['b'], true)
    await store.set(key, makePage({ tags: { a: 0, b: 0 } }))
    const changed = await store.getOrLease(key, 1000, leaseToken())
    expect(Object.keys(changed.entry?.kind === 'page' ? changed.entry.tags : {})).toEqual(['a', 'b'])
    expect(changed.tagStates).toBeUndefined()
    // Read once as it is now, the next lookup asks for both.
    expect((await store.getOrLease(key, 1000, leaseToken())).tagStates).toEqual({ a: { version: 0, hard: 0 }, b: { version: 1, hard: 1 } })
  })

  it('gives no states when the page is gone, and takes the lease as before', async () => {
    r = redisForTest('hit-rt-gone')
    const store = new RedisPageStore({ redis: r.redis, prefix: r.prefix })
    await store.set(key, makePage({ tags: { a: 0 } }))
    await store.getOrLease(key, 1000, leaseToken())
    await store.delete([key])
    const token = leaseToken()
    expect(await store.getOrLease(key, 1000, token)).toEqual({ entry: undefined, lease: token, held: false })
  })

  it('sends the lookups made in one event-loop turn in one socket write, each with its own answer (hits, a lease taken, a lease held)', async () => {
    r = redisForTest('hit-rt-batch')
    const store = new RedisPageStore({ redis: r.redis, prefix: r.prefix })
    const keys = ['b1', 'b2', 'b3', 'b4'].map((hash) => ({ route: 'products.list', hash }))
    const pages = [makePage({ tags: { a: 0 } }), makePage({ tags: { b: 0 } })]
    await store.set(keys[0]!, pages[0]!)
    await store.set(keys[1]!, pages[1]!)
    await store.getOrLease(keys[0]!, 1000, leaseToken()) // read before: its next lookup reads its tags' states too
    expect(await store.acquireLease(keys[3]!, 10_000, 'other')).toBe('other')
    const socket = r.redis.stream as unknown as { _write: (...a: unknown[]) => unknown; _writev: (chunks: unknown[], cb: unknown) => unknown }
    const writes = [vi.spyOn(socket, '_write'), vi.spyOn(socket, '_writev')]
    const tokens = keys.map(() => leaseToken())
    const found = await Promise.all(keys.map((k, i) => store.getOrLease(k, 10_000, tokens[i]!)))
    expect(writes.map((w) => w.mock.calls.length)).toEqual([0, 1])
    expect((writes[1]!.mock.calls[0] as unknown[])[0]).toHaveLength(4)
    expect(found[0]).toMatchObject({ entry: { body: pages[0]!.body }, lease: null, tagStates: { a: { version: 0, hard: 0 } } })
    expect(found[1]).toMatchObject({ entry: { body: pages[1]!.body }, lease: null, held: false })
    expect(found[2]).toEqual({ entry: undefined, lease: tokens[2], held: false })
    expect(found[3]).toEqual({ entry: undefined, lease: null, held: true })
  })

  it('gives the entry without states when a tag counter is corrupt, and the hit path then says so', async () => {
    const { page, store, renders } = await pageApp('hit-rt-corrupt')
    for (let i = 0; i < 3; i++) await page.inject('/page')
    await r!.redis.hset(store.keys.tags, `${TAG_VERSION_FIELD}catalog`, 'not a number')
    // The page's lookup finds the entry; its states can't be read, so the request bypasses the cache.
    const res = await page.inject('/page')
    expect(res.statusCode).toBe(200)
    expect(res.headers['cache-status']).toContain('detail=cache-error')
    expect(renders()).toBe(2)
  })
})

describe('GuardedStore and a store of the app own that answers tag states with its lookups', () => {
  const page = makePage({ tags: { a: 1, b: 1 } })
  function guarded(tagStates: unknown): GuardedStore {
    const store = Object.assign(new MemoryPageStore(), {
      name: 'custom',
      getOrLease: async (): Promise<LookupOrLease> => ({ entry: page, lease: null, held: false, tagStates: tagStates as Record<string, TagState> }),
    })
    return new GuardedStore(store, { timeoutMs: 1000, failures: 3, cooldownMs: 1000, onError: () => undefined })
  }

  it('passes a whole answer on', async () => {
    const states = { a: { version: 2, hard: 0 }, b: { version: 1, hard: 0 } }
    expect((await guarded(states).getOrLease(key, 1000)).tagStates).toEqual(states)
  })

  it.each([
    ['a partial answer', { a: { version: 2, hard: 0 } }],
    ['not an object', 'b'],
    ['null', null],
  ])('drops %s, so the hit path asks tagStates()', async (_what, states) => {
    const found = await guarded(states).getOrLease(key, 1000)
    expect(found.entry).toBe(page)
    expect(found.tagStates).toBeUndefined()
  })
})

describe('leaseToken', () => {
  it('never gives the same token twice in a process', () => {
    const tokens = new Set(Array.from({ length: 10_000 }, () => leaseToken()))
    expect(tokens.size).toBe(10_000)
  })
})
