import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import { TieredPageStore, type TieredPageStoreOptions } from '../../src/pagecache/tiered-store.js'
import type { PageKey } from '../../src/pagecache/store.js'
import { makePage, makePass } from '../contract/page-store.contract.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

const key: PageKey = { route: 'products.list', hash: 'aa01' }
const other: PageKey = { route: 'brands.list', hash: 'bb02' }

async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  const until = Date.now() + 5000
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

describe('TieredPageStore', () => {
  let t: RedisForTest
  const opened: TieredPageStore[] = []

  /** A store on its own connection, as a second process would have. */
  async function open(extra: Partial<TieredPageStoreOptions> = {}): Promise<TieredPageStore> {
    const store = new TieredPageStore({ redis: t.connect(), prefix: t.prefix, memory: { maxBytes: 1 << 20, maxTtlMs: 5000 }, ...extra })
    opened.push(store)
    await store.ready()
    return store
  }
  /** Removes a page from Redis behind every store's back: only a memory copy can still answer. */
  const rawDelete = (k: PageKey): Promise<number> => t.redis.del(`${t.prefix}:v1:{${k.route}}:page:${k.hash}`)

  beforeEach(() => {
    t = redisForTest('tiered')
  })
  afterEach(async () => {
    vi.useRealTimers()
    await Promise.all(opened.splice(0).map((s) => s.close()))
    await t.cleanup()
  })

  it('answers from memory once a page was stored or read, and only in that process', async () => {
    const a = await open()
    const b = await open()
    expect(a.memoryInUse).toBe(true)
    await a.set(key, makePage())
    await rawDelete(key)
    expect(await a.get(key)).toBeDefined()
    expect(await b.get(key)).toBeUndefined()
  })

  it('drops the memory copies built under a purged tag in every process, and keeps the others', async () => {
    const a = await open()
    const b = await open()
    await a.set(key, makePage({ tags: { products: 0 } }))
    await a.set(other, makePage({ tags: { brands: 0 } }))
    expect(await b.get(key)).toBeDefined()
    expect(await b.get(other)).toBeDefined()
    await rawDelete(key)
    await rawDelete(other)
    expect(await b.get(key)).toBeDefined()
    expect(await a.purgeTags(['products'], false)).toEqual({ products: { version: 1, hard: 0 } })
    expect(await a.get(key)).toBeUndefined()
    await eventually(async () => (await b.get(key)) === undefined, 'the purge to reach the second store')
    expect(await b.get(other)).toBeDefined()
    expect(await b.tagStates(['products'])).toEqual({ products: { version: 1, hard: 0 } })
  })

  it('drops a deleted key\'s memory copy in every process', async () => {
    const a = await open()
    const b = await open()
    const pass = makePass()
    await a.set(key, pass)
    await a.set(other, makePage())
    expect(await b.get(key)).toEqual(pass)
    await rawDelete(key)
    expect(await b.get(key)).toEqual(pass)
    expect(await a.delete([key, other])).toBe(1)
    await eventually(async () => (await b.get(key)) === undefined, 'the delete to reach the second store')
  })

  it('answers tag states from memory, moved by purges announced from anywhere', async () => {
    const a = await open()
    const b = await open()
    expect(await b.tagStates(['x'])).toEqual({ x: { version: 0, hard: 0 } })
    // Moved behind the store's back: the remembered state still answers.
    await t.redis.hincrby(`${t.prefix}:v1:tags`, 'v:x', 1)
    expect(await b.tagStates(['x'])).toEqual({ x: { version: 0, hard: 0 } })
    await a.purgeTags(['x'], true)
    await eventually(async () => (await b.tagStates(['x'])).x?.hard === 2, 'the hard purge to reach the second store')
    expect(await b.tagStates(['x'])).toEqual({ x: { version: 2, hard: 2 } })
  })

  it('answers tag states asked with the same array with one frozen object, until a purge or the earliest state\'s expiry', async () => {
    const a = await open()
    const b = await open({ memory: { maxBytes: 1 << 20, maxTtlMs: 1000 } })
    const tags = ['x', 'y']
    const now = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now })
    // First from Redis, then wholly from memory: that answer is kept for the array.
    expect(await b.tagStates(tags)).toEqual({ x: { version: 0, hard: 0 }, y: { version: 0, hard: 0 } })
    const held = await b.tagStates(tags)
    expect(Object.isFrozen(held)).toBe(true)
    expect(await b.tagStates(tags)).toBe(held)
    // Another array with the same names is answered afresh, with the same states.
    expect(await b.tagStates(['x', 'y'])).toEqual(held)
    await a.purgeTags(['y'], false)
    await eventually(async () => (await b.tagStates(tags)).y?.version === 1, 'the purge to reach the second store')
    const purged = await b.tagStates(tags)
    expect(purged).not.toBe(held)
    expect(purged).toEqual({ x: { version: 0, hard: 0 }, y: { version: 1, hard: 0 } })
    expect(await b.tagStates(tags)).toBe(purged)
    // Moved behind the store's back: the kept answer holds until x's state (remembered first) expires.
    await t.redis.hincrby(`${t.prefix}:v1:tags`, 'v:x', 5)
    vi.setSystemTime(now + 999)
    expect((await b.tagStates(tags)).x).toEqual({ version: 0, hard: 0 })
    vi.setSystemTime(now + 1001)
    expect((await b.tagStates(tags)).x).toEqual({ version: 5, hard: 0 })
  })

  it('keeps a memory copy at most maxTtlMs, and reports the entry\'s own deleteAt', async () => {
    const store = await open({ memory: { maxBytes: 1 << 20, maxTtlMs: 1000 } })
    const now = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now })
    const page = makePage({ staleAt: now + 300_000, deleteAt: now + 600_000 })
    await store.set(key, page)
    await rawDelete(key)
    vi.setSystemTime(now + 900)
    expect(await store.get(key)).toEqual(page)
    vi.setSystemTime(now + 1001)
    expect(await store.get(key)).toBeUndefined()
  })

  it('answers a hot page from memory with one object, carrying the entry\'s own deleteAt', async () => {
    const store = await open({ memory: { maxBytes: 1 << 20, maxTtlMs: 1000 } })
    const now = Date.now()
    const page = makePage({ staleAt: now + 300_000, deleteAt: now + 600_000 })
    await store.set(key, page)
    await rawDelete(key)
    const first = await store.get(key)
    expect(first).toEqual(page)
    expect(await store.get(key)).toBe(first)
  })

  it('asks Redis again once its memory copy is stale, since another process may have refreshed it', async () => {
    const a = await open()
    const b = await open()
    const now = Date.now()
    vi.useFakeTimers({ toFake: ['Date'], now })
    await a.set(key, makePage({ body: Buffer.from('old'), staleAt: now + 1000 }))
    expect(await b.get(key)).toMatchObject({ body: Buffer.from('old') })
    await a.set(key, makePage({ body: Buffer.from('new'), staleAt: now + 60_000 }))
    expect(await b.get(key)).toMatchObject({ body: Buffer.from('old') })
    vi.setSystemTime(now + 1001)
    expect(await b.get(key)).toMatchObject({ body: Buffer.from('new') })
  })

  it('empties the layer when its subscription drops, and uses it again once resubscribed', async () => {
    const a = await open()
    const subscriber = t.connect()
    const id = await subscriber.client('ID')
    const b = await open({ subscriber })
    await a.set(key, makePage({ tags: { products: 0 } }))
    expect(await b.get(key)).toBeDefined()
    await rawDelete(key)
    expect(await b.get(key)).toBeDefined()
    await t.redis.client('KILL', 'ID', String(id))
    await eventually(() => !b.memoryInUse, 'the store to notice the lost subscription')
    expect(await b.get(key)).toBeUndefined()
    await eventually(() => b.memoryInUse, 'the store to resubscribe')
    expect(await b.get(key)).toBeUndefined()
    // The layer works again, and so do invalidations.
    await a.set(key, makePage({ tags: { products: 0 } }))
    expect(await b.get(key)).toBeDefined()
    await rawDelete(key)
    expect(await b.get(key)).toBeDefined()
    await a.purgeTags(['products'], true)
    await eventually(async () => (await b.get(key)) === undefined, 'the purge after resubscribing')
  })

  it('does not remember a Redis read that an invalidation overtook', async () => {
    const redis = t.connect()
    const store = new TieredPageStore({ redis, prefix: t.prefix })
    opened.push(store)
    await store.ready()
    await new RedisPageStore({ redis: t.redis, prefix: t.prefix }).set(key, makePage())
    // BLPOP holds the store's connection, so its GET is answered only after the message is in.
    const blocker = redis.blpop(`${t.prefix}:nothing`, 0.3)
    const reading = store.get(key)
    await t.redis.publish(`${t.prefix}:v1:invalidate`, JSON.stringify({ keys: [other] }))
    expect(await reading).toBeDefined()
    await blocker
    await rawDelete(key)
    expect(await store.get(key)).toBeUndefined()
  })

  it('empties the layer on a message it cannot read', async () => {
    const b = await open()
    await b.set(key, makePage())
    await rawDelete(key)
    expect(await b.get(key)).toBeDefined()
    await t.redis.publish(`${t.prefix}:v1:invalidate`, '{"tags":{"products":"soon"}}')
    await eventually(async () => (await b.get(key)) === undefined, 'the unreadable message to empty the layer')
  })

  it('ignores messages on other channels of a shared subscriber', async () => {
    const subscriber = t.connect()
    const b = await open({ subscriber })
    await subscriber.subscribe(`${t.prefix}:elsewhere`)
    await b.set(key, makePage())
    await b.set(other, makePage())
    await rawDelete(key)
    await rawDelete(other)
    await t.redis.publish(`${t.prefix}:elsewhere`, 'garbage')
    // One subscriber gets messages in publishing order: once this one is handled, so was the other.
    await t.redis.publish(`${t.prefix}:v1:invalidate`, JSON.stringify({ keys: [other] }))
    await eventually(async () => (await b.get(other)) === undefined, 'the later message')
    expect(await b.get(key)).toBeDefined()
  })

  it('works through Redis alone when it cannot subscribe', async () => {
    const errors: Error[] = []
    const dead = new Redis({ port: 1, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false })
    dead.on('error', () => {})
    const store = await open({ subscriber: dead, onSubscriberError: (err) => errors.push(err) })
    expect(store.memoryInUse).toBe(false)
    expect(errors.length).toBeGreaterThan(0)
    await store.set(key, makePage())
    expect(await store.get(key)).toBeDefined()
    await rawDelete(key)
    expect(await store.get(key)).toBeUndefined()
    dead.disconnect()
  })

  it('with maxTtlMs 0 keeps nothing in memory and opens no subscriber', async () => {
    const before = await t.redis.pubsub('NUMSUB', `${t.prefix}:v1:invalidate`)
    const store = await open({ memory: { maxBytes: 1 << 20, maxTtlMs: 0 } })
    expect(await t.redis.pubsub('NUMSUB', `${t.prefix}:v1:invalidate`)).toEqual(before)
    expect(store.memoryInUse).toBe(false)
    await store.set(key, makePage())
    await rawDelete(key)
    expect(await store.get(key)).toBeUndefined()
  })

  it('leaves the caller\'s clients open on close', async () => {
    const redis = t.connect()
    const subscriber = t.connect()
    const store = new TieredPageStore({ redis, subscriber, prefix: t.prefix })
    await store.ready()
    await store.close()
    expect(await redis.ping()).toBe('PONG')
    expect(await subscriber.ping()).toBe('PONG')
  })

  it('rejects unknown options and impossible memory sizes', () => {
    const redis = t.redis
    const code = { code: 'CUTOVER_ERR_STORE_OPTIONS_INVALID' }
    expect(() => new TieredPageStore({ redis, front: {} } as never)).toThrow(expect.objectContaining(code))
    expect(() => new TieredPageStore({ redis, memory: { maxBytes: 0 } })).toThrow(/memory.maxBytes/)
    expect(() => new TieredPageStore({ redis, memory: { maxTtlMs: -1 } })).toThrow(/memory.maxTtlMs/)
    expect(() => new TieredPageStore({ redis, memory: { maxTtlMs: Number.POSITIVE_INFINITY } })).toThrow(/memory.maxTtlMs/)
    expect(() => new TieredPageStore({ redis, memory: { maxTtlMs: '5s' as never } })).toThrow(/memory.maxTtlMs/)
    expect(() => new TieredPageStore({ redis, onSubscriberError: 'log' as never })).toThrow(/onSubscriberError/)
  })

  it('rejects a memory.maxTtlMs past 2^31 s and names a NaN as NaN', () => {
    expect(() => new TieredPageStore({ redis: t.redis, memory: { maxTtlMs: 1e308 } })).toThrow(/memory.maxTtlMs to be a number of ms from 0 to 2147483648000 \(2\^31 s\), got 1e\+308/)
    expect(() => new TieredPageStore({ redis: t.redis, memory: { maxTtlMs: NaN } })).toThrow(/got NaN$/)
    expect(() => new TieredPageStore({ redis: t.redis, maxBodyBytes: 0 })).toThrow(/maxBodyBytes/)
  })
})

describe('invalidations from a plain RedisPageStore', () => {
  let t: RedisForTest
  beforeEach(() => {
    t = redisForTest('tiered-plain')
  })
  afterEach(() => t.cleanup())

  it('reach a tiered store\'s memory layer, purges and deletes alike', async () => {
    const tiered = new TieredPageStore({ redis: t.connect(), prefix: t.prefix })
    const plain = new RedisPageStore({ redis: t.redis, prefix: t.prefix })
    await tiered.ready()
    await tiered.set(key, makePage({ tags: { products: 0 } }))
    await tiered.set(other, makePage({ tags: { brands: 0 } }))
    await t.redis.del(tiered.redisStore.keys.page(key), tiered.redisStore.keys.page(other))
    expect(await tiered.get(key)).toBeDefined()
    await plain.purgeTags(['products'], true)
    await eventually(async () => (await tiered.get(key)) === undefined, 'the purge of the plain store')
    expect(await tiered.tagStates(['products'])).toEqual({ products: { version: 1, hard: 1 } })
    expect(await tiered.get(other)).toBeDefined()
    await plain.delete([other])
    await eventually(async () => (await tiered.get(other)) === undefined, 'the delete of the plain store')
    await tiered.close()
  })

  it('are published as JSON naming the new tag states and the deleted keys', async () => {
    const plain = new RedisPageStore({ redis: t.redis, prefix: t.prefix })
    const listener = t.connect()
    const messages: unknown[] = []
    listener.on('message', (_channel: string, message: string) => messages.push(JSON.parse(message)))
    await listener.subscribe(plain.keys.invalidateChannel)
    await plain.purgeTags(['a', 'b:c'], false)
    await plain.delete([key])
    await plain.delete([])
    await plain.purgeTags(['z/1'], true)
    await eventually(() => messages.length >= 3, 'three messages')
    expect(messages).toEqual([
      { tags: { a: { version: 1, hard: 0 }, 'b:c': { version: 1, hard: 0 } } },
      { keys: [key] },
      { tags: { 'z/1': { version: 1, hard: 1 } } },
    ])
  })
})
