import { randomBytes } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { OriginFacts, PageKey, PageStore, PassMarker, StoredEntry, StoredPage } from '../../src/pagecache/store.js'

export interface PageStoreUnderTest {
  store: PageStore
  cleanup(): Promise<void>
}

/** A page rendered now, fresh for a minute, kept for ten. */
export function makePage(overrides: Partial<StoredPage> = {}): StoredPage {
  const now = Date.now()
  return {
    kind: 'page',
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', link: ['</a>; rel=next', '</b>; rel=prev'] },
    body: Buffer.from('{"ok":true}'),
    etag: '"abc123"',
    storedAt: now,
    staleAt: now + 60_000,
    deleteAt: now + 600_000,
    tags: { products: 3, 'route:products.list': 0 },
    renderMs: 12.5,
    ...overrides,
  }
}

export function makePass(overrides: Partial<PassMarker> = {}): PassMarker {
  const now = Date.now()
  return { kind: 'pass', reason: 'set-cookie', storedAt: now, deleteAt: now + 30_000, ...overrides }
}

/** Entries a store must refuse: served, each would be a 500, or what cutover never stores, or live past any route's lifetime. */
export function unservable(): Array<[string, StoredEntry]> {
  const now = Date.now()
  const many = Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`x-h${i}`, 'v']))
  return [
    ['status 99', makePage({ status: 99 })],
    ['status 0', makePage({ status: 0 })],
    ['status 1000', makePage({ status: 1000 })],
    ['status 200.5', makePage({ status: 200.5 })],
    ['a header name with a space', makePage({ headers: { 'x a': 'b' } })],
    ['an upper-case header name', makePage({ headers: { 'X-A': 'b' } })],
    ['an empty header name', makePage({ headers: { '': 'b' } })],
    ['a header value with CR LF', makePage({ headers: { 'x-a': 'a\r\nset-cookie: s=1' } })],
    ['a header value with NUL', makePage({ headers: { 'x-a': 'a\u0000' } })],
    ['a header value outside Latin-1', makePage({ headers: { 'x-a': 'żółw' } })],
    ['a listed header value with LF', makePage({ headers: { link: ['</a>', 'b\n'] } })],
    ['a non-string header value', makePage({ headers: { 'x-a': 5 as unknown as string } })],
    ['Set-Cookie', makePage({ headers: { 'set-cookie': 's=1' } })],
    ['a Content-Length', makePage({ headers: { 'content-length': '2' } })],
    ['Transfer-Encoding', makePage({ headers: { 'transfer-encoding': 'chunked' } })],
    ['more than 1000 header fields', makePage({ headers: many })],
    ['an etag with CR LF', makePage({ etag: '"a"\r\nx: y' })],
    ['a tag version that is not a whole number', makePage({ tags: { a: 1.5 } })],
    ['a negative tag version', makePage({ tags: { a: -1 } })],
    ['a render time of 1e300 ms', makePage({ renderMs: 1e300 })],
    ['deleteAt far past storedAt', makePage({ storedAt: now, deleteAt: now + 2 * 2 ** 31 * 1000 + 1 })],
    ['staleAt far past storedAt', makePage({ storedAt: now, staleAt: now + 2 ** 31 * 1000 + 1 })],
    ['origin facts that are not an object', makePage({ origin: 'x' as unknown as OriginFacts })],
    ['an origin Date with CR LF', makePage({ origin: { date: 'x\r\ny: z', etag: false, mustRevalidate: false, swrMs: 0, sieMs: 0 } })],
    ['an origin stale window of 1e300 ms', makePage({ origin: { etag: false, mustRevalidate: false, swrMs: 1e300, sieMs: 0 } })],
    ['origin Vary values that are not strings', makePage({ origin: { etag: false, mustRevalidate: false, swrMs: 0, sieMs: 0, vary: { a: 1 as unknown as string } } })],
    ['a pass marker living past any passTtl', makePass({ storedAt: now, deleteAt: now + 2 ** 31 * 1000 + 1 })],
  ]
}

async function eventually(check: () => Promise<boolean>, what: string, limitMs = 3000): Promise<void> {
  const until = Date.now() + limitMs
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/**
 * The behaviour every PageStore driver must share. Call it from a driver's test
 * file with a factory giving a fresh, empty store and its cleanup.
 */
export function pageStoreContract(name: string, factory: () => Promise<PageStoreUnderTest>): void {
  describe(`PageStore contract: ${name}`, () => {
    let store: PageStore
    let cleanup: () => Promise<void>
    const key = (hash: string, route = 'products.list'): PageKey => ({ route, hash })

    beforeEach(async () => {
      ;({ store, cleanup } = await factory())
    })
    afterEach(async () => {
      vi.useRealTimers()
      await store.close()
      await cleanup()
    })

    it('has a name', () => {
      expect(typeof store.name).toBe('string')
      expect(store.name.length).toBeGreaterThan(0)
    })

    describe('get / set', () => {
      it('gives undefined for a key never stored', async () => {
        expect(await store.get(key('a1'))).toBeUndefined()
      })

      it('returns the stored page field for field, headers with lists included', async () => {
        const page = makePage()
        await store.set(key('a1'), page)
        const got = await store.get(key('a1'))
        expect(got).toEqual(page)
        expect(got?.kind === 'page' && Buffer.isBuffer(got.body)).toBe(true)
      })

      it('returns a followOrigin page\'s origin facts (Date, validators, RFC 5861 windows, Vary values) field for field', async () => {
        const origin = { date: 'Mon, 07 Dec 2026 00:14:30 GMT', etag: true, mustRevalidate: false, swrMs: 30_000, sieMs: 0, vary: { 'accept-language': 'en,fr', 'x-absent': '\n' } }
        const page = makePage({ origin })
        await store.set(key('o1'), page)
        expect(await store.get(key('o1'))).toEqual(page)
      })

      it('replaces a previous entry', async () => {
        await store.set(key('a1'), makePage({ body: Buffer.from('first'), etag: '"1"' }))
        await store.set(key('a1'), makePage({ body: Buffer.from('second'), etag: '"2"' }))
        const got = await store.get(key('a1'))
        expect(got?.kind).toBe('page')
        expect(got?.kind === 'page' && got.body.toString()).toBe('second')
        expect(got?.kind === 'page' && got.etag).toBe('"2"')
      })

      it('round-trips pass markers, and a page replaces a pass marker and back', async () => {
        const pass = makePass()
        await store.set(key('p1'), pass)
        expect(await store.get(key('p1'))).toEqual(pass)
        const page = makePage()
        await store.set(key('p1'), page)
        expect(await store.get(key('p1'))).toEqual(page)
        await store.set(key('p1'), pass)
        expect(await store.get(key('p1'))).toEqual(pass)
      })

      it('keeps bodies byte-exact: empty, every byte value, large random, large compressible', async () => {
        const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
        const random = randomBytes(200_000)
        const json = Buffer.from(JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ id: i, name: `product ${i}`, price: i * 1.5 }))))
        const bodies = { empty: Buffer.alloc(0), allBytes, random, json }
        for (const [hash, body] of Object.entries(bodies)) await store.set(key(hash), makePage({ body }))
        for (const [hash, body] of Object.entries(bodies)) {
          const got = await store.get(key(hash))
          expect(got?.kind === 'page' && got.body.equals(body), hash).toBe(true)
        }
      })

      // A header value can hold bytes 0x80-0xFF (obs-text, RFC 9110 §5.5), which is all Node sends; tag names are any text.
      it('keeps non-ASCII header values and tag names', async () => {
        const page = makePage({ headers: { 'content-disposition': 'inline; filename="caf\u00e9-\u00fc.json"', vary: ['accept', 'accept-language'] }, tags: { 'категория:7': 2 } })
        await store.set(key('u1'), page)
        expect(await store.get(key('u1'))).toEqual(page)
      })

      it.each(unservable())('refuses an entry no response could carry: %s', async (_what, entry) => {
        await expect(store.set(key('bad'), entry)).rejects.toMatchObject({ code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' })
        expect(await store.get(key('bad'))).toBeUndefined()
      })
    })

    describe('deleteAt', () => {
      it('stops serving an entry once its deleteAt has passed', async () => {
        const now = Date.now()
        await store.set(key('t1'), makePage({ staleAt: now + 10_000, deleteAt: now + 20_000 }))
        await store.set(key('t2'), makePass({ deleteAt: now + 20_000 }))
        await store.set(key('t3'), makePage({ deleteAt: now + 40_000 }))
        vi.useFakeTimers({ toFake: ['Date'] })
        vi.setSystemTime(now + 15_000)
        expect(await store.get(key('t1'))).toBeDefined()
        vi.setSystemTime(now + 20_001)
        expect(await store.get(key('t1'))).toBeUndefined()
        expect(await store.get(key('t2'))).toBeUndefined()
        expect(await store.get(key('t3'))).toBeDefined()
      })

      it('drops an entry on the real clock too', async () => {
        const deleteAt = Date.now() + 500 // wide enough that set and get finish before it on a loaded machine
        await store.set(key('t4'), makePage({ staleAt: deleteAt, deleteAt }))
        expect(await store.get(key('t4'))).toBeDefined()
        await eventually(async () => (await store.get(key('t4'))) === undefined, 'the entry to expire')
        expect(Date.now()).toBeGreaterThanOrEqual(deleteAt)
      })

      it('treats a set with deleteAt already past as removing the entry', async () => {
        await store.set(key('t5'), makePage())
        await store.set(key('t5'), makePage({ deleteAt: Date.now() - 1 }))
        expect(await store.get(key('t5'))).toBeUndefined()
      })
    })

    describe('delete', () => {
      it('removes the given keys and counts those that existed', async () => {
        await store.set(key('d1'), makePage())
        await store.set(key('d2'), makePass())
        await store.set(key('d3', 'other.route'), makePage())
        await store.set(key('keep'), makePage())
        expect(await store.delete([key('d1'), key('d2'), key('d3', 'other.route'), key('missing')])).toBe(3)
        for (const k of [key('d1'), key('d2'), key('d3', 'other.route')]) expect(await store.get(k)).toBeUndefined()
        expect(await store.get(key('keep'))).toBeDefined()
        expect(await store.delete([key('d1')])).toBe(0)
        expect(await store.delete([])).toBe(0)
      })
    })

    describe('held answers (getHeld, tagStatesHeld: optional, no I/O)', () => {
      /** A held answer is undefined (ask the async call) or exactly what the async call gives. */
      const heldAgrees = async (k: PageKey): Promise<void> => {
        const held = store.getHeld?.(k)
        if (held !== undefined) expect(held).toEqual(await store.get(k))
      }

      it('never answers other than get(): after a set, a replacement, a delete and past deleteAt', async () => {
        const now = Date.now()
        await store.set(key('h1'), makePage({ body: Buffer.from('first'), staleAt: now + 60_000, deleteAt: now + 120_000 }))
        await store.get(key('h1'))
        await heldAgrees(key('h1'))
        await store.set(key('h1'), makePage({ body: Buffer.from('second'), etag: '"2"', staleAt: now + 60_000, deleteAt: now + 120_000 }))
        await heldAgrees(key('h1'))
        const held = store.getHeld?.(key('h1'))
        if (held !== undefined) expect(held.kind === 'page' && held.body.toString()).toBe('second')
        await store.delete([key('h1')])
        expect(store.getHeld?.(key('h1'))).toBeUndefined()
        await store.set(key('h2'), makePage({ staleAt: now + 60_000, deleteAt: now + 120_000 }))
        await store.get(key('h2'))
        vi.useFakeTimers({ toFake: ['Date'], now: now + 120_001 })
        expect(store.getHeld?.(key('h2'))).toBeUndefined()
      })

      it('never answers tag states other than tagStates(), before and after purges of this store', async () => {
        const tags = ['ha', 'hb']
        await store.tagStates(tags)
        const agrees = async (): Promise<void> => {
          const held = store.tagStatesHeld?.(tags)
          if (held !== undefined) expect(held).toEqual(await store.tagStates(tags))
        }
        await agrees()
        await agrees()
        await store.purgeTags(['hb'], true)
        const held = store.tagStatesHeld?.(tags)
        if (held !== undefined) expect(held.hb).toEqual({ version: 1, hard: 1 })
        await agrees()
      })
    })

    describe('tags', () => {
      it('reports a tag never purged as version 0, hard 0', async () => {
        expect(await store.tagStates(['never', 'seen'])).toEqual({ never: { version: 0, hard: 0 }, seen: { version: 0, hard: 0 } })
        expect(await store.tagStates([])).toEqual({})
      })

      it('moves the version on a soft purge and leaves hard where it was', async () => {
        expect(await store.purgeTags(['products'], false)).toEqual({ products: { version: 1, hard: 0 } })
        expect(await store.purgeTags(['products', 'brands'], false)).toEqual({ products: { version: 2, hard: 0 }, brands: { version: 1, hard: 0 } })
        expect(await store.tagStates(['products', 'brands', 'other'])).toEqual({
          products: { version: 2, hard: 0 },
          brands: { version: 1, hard: 0 },
          other: { version: 0, hard: 0 },
        })
      })

      it('records a hard purge at the new version, which later soft purges keep', async () => {
        await store.purgeTags(['products'], false)
        expect(await store.purgeTags(['products'], true)).toEqual({ products: { version: 2, hard: 2 } })
        expect(await store.purgeTags(['products'], false)).toEqual({ products: { version: 3, hard: 2 } })
        expect(await store.tagStates(['products'])).toEqual({ products: { version: 3, hard: 2 } })
      })

      it('moves a tag named twice in one purge only once', async () => {
        expect(await store.purgeTags(['dup', 'dup'], false)).toEqual({ dup: { version: 1, hard: 0 } })
      })

      it('loses no purge under concurrency, and moves every tag of a purge together', async () => {
        const rounds = 25
        await Promise.all(Array.from({ length: rounds }, (_, i) => store.purgeTags(['a', 'b'], i % 5 === 0)))
        const states = await store.tagStates(['a', 'b'])
        expect(states.a?.version).toBe(rounds)
        expect(states.b).toEqual(states.a)
        expect(states.a?.hard).toBeGreaterThan(0)
      })

      it('keeps tags with special characters apart', async () => {
        await store.purgeTags(['a:b', 'route:x}{y'], true)
        expect(await store.tagStates(['a', 'a:b', 'route:x}{y', 'route:x'])).toEqual({
          a: { version: 0, hard: 0 },
          'a:b': { version: 1, hard: 1 },
          'route:x}{y': { version: 1, hard: 1 },
          'route:x': { version: 0, hard: 0 },
        })
      })
    })

    describe('leases', () => {
      it('gives a lease to one holder at a time', async () => {
        const token = await store.acquireLease(key('l1'), 10_000)
        expect(typeof token).toBe('string')
        expect(await store.acquireLease(key('l1'), 10_000)).toBeNull()
        await store.releaseLease(key('l1'), token as string)
        const next = await store.acquireLease(key('l1'), 10_000)
        expect(typeof next).toBe('string')
        expect(next).not.toBe(token)
      })

      it('gives exactly one of many concurrent contenders the lease', async () => {
        const tokens = await Promise.all(Array.from({ length: 20 }, () => store.acquireLease(key('l2'), 10_000)))
        expect(tokens.filter((t) => t !== null)).toHaveLength(1)
      })

      it('lets only the holding token release it', async () => {
        const token = await store.acquireLease(key('l3'), 10_000)
        await store.releaseLease(key('l3'), 'not-the-token')
        expect(await store.acquireLease(key('l3'), 10_000)).toBeNull()
        await store.releaseLease(key('l3'), token as string)
        expect(await store.acquireLease(key('l3'), 10_000)).not.toBeNull()
      })

      it('expires, and the late holder cannot release the next holder', async () => {
        const first = await store.acquireLease(key('l4'), 50)
        expect(first).not.toBeNull()
        let second: string | null = null
        await eventually(async () => (second = await store.acquireLease(key('l4'), 10_000)) !== null, 'the lease to expire')
        await store.releaseLease(key('l4'), first as string)
        expect(await store.acquireLease(key('l4'), 10_000)).toBeNull()
        await store.releaseLease(key('l4'), second as unknown as string)
        expect(await store.acquireLease(key('l4'), 10_000)).not.toBeNull()
      })

      it('keeps leases of different keys and routes apart, and apart from entries', async () => {
        expect(await store.acquireLease(key('l5'), 10_000)).not.toBeNull()
        expect(await store.acquireLease(key('l6'), 10_000)).not.toBeNull()
        expect(await store.acquireLease(key('l5', 'other.route'), 10_000)).not.toBeNull()
        expect(await store.get(key('l5'))).toBeUndefined()
        await store.set(key('l7'), makePage())
        expect(await store.acquireLease(key('l7'), 10_000)).not.toBeNull()
      })

      it('a lookup that leases (where the store has getOrLease): the entry and no lease, else the lease, or that another holds it', async () => {
        if (!store.getOrLease) return
        const page = makePage()
        await store.set(key('g1'), page)
        const found = await store.getOrLease(key('g1'), 10_000, 'token-g1')
        expect(found).toMatchObject({ lease: null, held: false })
        expect(found.entry?.kind).toBe('page')
        // Nothing was taken beside the entry it found.
        expect(await store.acquireLease(key('g1'), 10_000)).not.toBeNull()
        expect(await store.getOrLease(key('g2'), 10_000, 'token-g2')).toEqual({ entry: undefined, lease: 'token-g2', held: false })
        expect(await store.getOrLease(key('g2'), 10_000, 'token-other')).toEqual({ entry: undefined, lease: null, held: true })
        expect(await store.acquireLease(key('g2'), 10_000)).toBeNull()
        await store.releaseLease(key('g2'), 'token-g2')
        expect(await store.acquireLease(key('g2'), 10_000)).not.toBeNull()
      })

      it('a lookup that leases answers tag states only for every tag of the page it found, as tagStates() gives them', async () => {
        if (!store.getOrLease) return
        await store.purgeTags(['products'], false)
        await store.set(key('g3'), makePage({ tags: { products: 0, 'route:products.list': 0 } }))
        // Twice: a store may read the states with a page it has read before (the Redis stores do).
        for (let i = 0; i < 3; i++) {
          const found = await store.getOrLease(key('g3'), 10_000, `token-g3-${i}`)
          expect(found.entry?.kind).toBe('page')
          if (found.tagStates !== undefined) expect(found.tagStates).toEqual(await store.tagStates(['products', 'route:products.list']))
        }
        // Rewritten with a tag the page had not, and that tag purged: never a partial answer.
        await store.purgeTags(['fresh'], true)
        await store.set(key('g3'), makePage({ tags: { products: 0, fresh: 0 } }))
        for (let i = 0; i < 2; i++) {
          const found = await store.getOrLease(key('g3'), 10_000, `token-g3-again-${i}`)
          if (found.tagStates !== undefined) expect(found.tagStates).toEqual(await store.tagStates(['products', 'fresh']))
        }
        // Gone: the lease, as for a key never stored.
        await store.delete([key('g3')])
        expect(await store.getOrLease(key('g3'), 10_000, 'token-g3-gone')).toEqual({ entry: undefined, lease: 'token-g3-gone', held: false })
      })

      it('holds a lease under the caller\'s token when given one, so the caller can release it without the answer', async () => {
        const acquiring = store.acquireLease(key('l9'), 10_000, 'callers-token')
        await store.releaseLease(key('l9'), 'callers-token')
        expect(await acquiring).toBe('callers-token')
        expect(await store.acquireLease(key('l9'), 10_000)).not.toBeNull()
      })

      it('releasing a lease nobody holds is harmless', async () => {
        await expect(store.releaseLease(key('l8'), 'whatever')).resolves.toBeUndefined()
      })
    })

    describe('routes', () => {
      it('keeps the same hash under different routes apart', async () => {
        const routes = ['products.list', 'products.show', 'a', 'a:b', 'a}b', '{a}', 'a{b}:page:x', 'ünï code']
        for (const route of routes) await store.set(key('same', route), makePage({ body: Buffer.from(route) }))
        for (const route of routes) {
          const got = await store.get(key('same', route))
          expect(got?.kind === 'page' && got.body.toString(), route).toBe(route)
        }
        expect(await store.delete([key('same', 'a}b')])).toBe(1)
        expect(await store.get(key('same', 'a'))).toBeDefined()
        expect(await store.get(key('same', '{a}'))).toBeDefined()
        // The route stored last gone, and stored again after another: each route still finds its own page.
        expect(await store.delete([key('same', 'ünï code')])).toBe(1)
        expect(await store.get(key('same', 'ünï code'))).toBeUndefined()
        await store.set(key('same', 'ünï code'), makePage({ body: Buffer.from('again') }))
        await store.set(key('same', 'a'), makePage({ body: Buffer.from('a again') }))
        for (const [route, body] of [['ünï code', 'again'], ['a', 'a again'], ['a:b', 'a:b'], ['products.show', 'products.show']]) {
          const got = await store.get(key('same', route))
          expect(got?.kind === 'page' && got.body.toString(), route).toBe(body)
        }
        expect(await store.get(key('same', 'a}b'))).toBeUndefined()
      })

      it('keeps many keys across routes isolated', async () => {
        const keys = Array.from({ length: 60 }, (_, i) => key(`h${i % 12}`, `route.${i % 5}`))
        await Promise.all(keys.map((k) => store.set(k, makePage({ body: Buffer.from(`${k.route}/${k.hash}`) }))))
        const got = await Promise.all(keys.map((k) => store.get(k)))
        got.forEach((entry, i) => expect(entry?.kind === 'page' && entry.body.toString()).toBe(`${keys[i]?.route}/${keys[i]?.hash}`))
      })
    })
  })
}
