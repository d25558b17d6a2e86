import { randomBytes } from 'node:crypto'
import { brotliCompressSync, brotliDecompressSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { CODEC_BROTLI, CODEC_IDENTITY, encodeEntry } from '../../src/pagecache/page-codec.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { StoredEntry } from '../../src/pagecache/store.js'
import { makePage, makePass, unservable } from '../contract/page-store.contract.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

const CORRUPT = { code: 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY' }

/** An envelope around any header fields and body, as a writer other than cutover could leave it. */
function rawEnvelope(header: Record<string, unknown>, body: Buffer = Buffer.alloc(0), codec = CODEC_IDENTITY): Buffer {
  const json = Buffer.from(JSON.stringify(header))
  const pre = Buffer.alloc(10)
  pre.write('CTPG', 0, 'latin1')
  pre[4] = 1
  pre[5] = codec
  pre.writeUInt32BE(json.length, 6)
  return Buffer.concat([pre, json, body])
}

/** The envelope cutover would write for an entry, had its store not refused it. */
function envelopeOf(entry: StoredEntry): Buffer {
  if (entry.kind === 'pass') return rawEnvelope({ ...entry })
  const { body, ...page } = entry
  return rawEnvelope({ ...page, bodyLength: body.length }, body)
}
const key = { route: 'products.list', hash: 'abc123' }

describe('RedisPageStore', () => {
  let t: RedisForTest
  let store: RedisPageStore

  beforeEach(() => {
    t = redisForTest('redis-driver')
    store = new RedisPageStore({ redis: t.redis, prefix: t.prefix })
  })
  afterEach(async () => {
    await store.close()
    await t.cleanup()
  })

  describe('key layout', () => {
    it('writes pages, leases and tag states under <prefix>:v1 with the route as hash tag', async () => {
      await store.set(key, makePage())
      await store.acquireLease(key, 10_000)
      await store.purgeTags(['products'], true)
      const names = (await t.redis.keys(`${t.prefix}:*`)).sort()
      expect(names).toEqual([
        `${t.prefix}:v1:tags`,
        `${t.prefix}:v1:{products.list}:lease:abc123`,
        `${t.prefix}:v1:{products.list}:page:abc123`,
      ])
      expect(await t.redis.hgetall(`${t.prefix}:v1:tags`)).toEqual({ 'v:products': '1', 'h:products': '1' })
    })

    it('escapes a route id holding braces and colons inside one hash tag', async () => {
      await store.set({ route: 'x}:{y', hash: 'h' }, makePage())
      expect(await t.redis.keys(`${t.prefix}:*`)).toEqual([`${t.prefix}:v1:{x%7D%3A%7By}:page:h`])
    })

    it('expires the Redis key at deleteAt', async () => {
      const deleteAt = Date.now() + 120_000
      await store.set(key, makePage({ deleteAt }))
      const pttl = await t.redis.pttl(store.keys.page(key))
      expect(pttl).toBeGreaterThan(110_000)
      expect(pttl).toBeLessThanOrEqual(120_000)
      const lease = await store.acquireLease(key, 5000)
      expect(lease).not.toBeNull()
      expect(await t.redis.pttl(store.keys.lease(key))).toBeLessThanOrEqual(5000)
    })
  })

  describe('compression', () => {
    const json = Buffer.from(JSON.stringify(Array.from({ length: 500 }, (_, i) => ({ id: i, name: `product ${i}` }))))

    it('stores a body above the threshold brotli-compressed and smaller', async () => {
      expect(json.length).toBeGreaterThan(8192)
      await store.set(key, makePage({ body: json }))
      const raw = (await t.redis.getBuffer(store.keys.page(key))) as Buffer
      expect(raw.subarray(0, 4).toString('latin1')).toBe('CTPG')
      expect(raw[5]).toBe(CODEC_BROTLI)
      expect(raw.length).toBeLessThan(json.length / 3)
      const got = await store.get(key)
      expect(got?.kind === 'page' && got.body.equals(json)).toBe(true)
    })

    it('stores a body at or below the threshold as is', async () => {
      const small = json.subarray(0, 8192)
      await store.set(key, makePage({ body: small }))
      const raw = (await t.redis.getBuffer(store.keys.page(key))) as Buffer
      expect(raw[5]).toBe(CODEC_IDENTITY)
      expect(raw.subarray(raw.length - small.length).equals(small)).toBe(true)
    })

    it('stores an incompressible body as is even above the threshold', async () => {
      const noise = randomBytes(20_000)
      await store.set(key, makePage({ body: noise }))
      const raw = (await t.redis.getBuffer(store.keys.page(key))) as Buffer
      expect(raw[5]).toBe(CODEC_IDENTITY)
    })

    it('hands back the stored brotli bytes beside the body, and never writes them back', async () => {
      await store.set(key, makePage({ body: json }))
      const got = await store.get(key)
      if (got?.kind !== 'page' || got.brotli === undefined) throw new Error('expected a page with its brotli form')
      expect(brotliDecompressSync(got.brotli).equals(json)).toBe(true)
      await store.set(key, got)
      const raw = (await t.redis.getBuffer(store.keys.page(key))) as Buffer
      expect(raw.toString('latin1')).not.toContain('brotli')
      const again = await store.get(key)
      expect(again?.kind === 'page' && again.body.equals(json)).toBe(true)
    })

    it('decodes a hot page once while its stored bytes stay the same, and afresh once anything changes them', async () => {
      await store.set(key, makePage({ body: json }))
      const first = await store.get(key)
      expect(await store.get(key)).toBe(first)
      // Same fields, other bytes: decoded and checked again.
      await store.set(key, makePage({ body: Buffer.from('{"other":true}') }))
      const second = await store.get(key)
      expect(second).not.toBe(first)
      expect(second?.kind === 'page' && second.body.toString()).toBe('{"other":true}')
      // A value written behind the store's back that no longer decodes is corrupt, not the page decoded before.
      const raw = (await t.redis.getBuffer(store.keys.page(key))) as Buffer
      await t.redis.set(store.keys.page(key), raw.subarray(0, raw.length - 3))
      await expect(store.get(key)).rejects.toThrow(/body length does not match/)
    })

    it('follows a custom threshold', async () => {
      const eager = new RedisPageStore({ redis: t.redis, prefix: t.prefix, compressAbove: 100 })
      await eager.set(key, makePage({ body: Buffer.from('x'.repeat(101)) }))
      expect((await t.redis.getBuffer(store.keys.page(key)))?.[5]).toBe(CODEC_BROTLI)
    })
  })

  describe('corrupt entries', () => {
    async function rawSet(value: Buffer | string): Promise<void> {
      await t.redis.set(store.keys.page(key), value)
    }

    it('reports garbage, wrong magic and empty values as corrupt', async () => {
      for (const value of ['garbage', '', 'XXXX\x01\x00\x00\x00\x00\x02{}']) {
        await rawSet(value)
        await expect(store.get(key), JSON.stringify(value)).rejects.toMatchObject(CORRUPT)
      }
    })

    it('reports truncated entries as corrupt, compressed or not', async () => {
      for (const body of [Buffer.from('x'.repeat(3000)), Buffer.from('y'.repeat(30_000))]) {
        const whole = await encodeEntry(makePage({ body }), { compressAbove: 8192 })
        for (const cut of [5, 12, whole.length - 1]) {
          await rawSet(whole.subarray(0, cut))
          await expect(store.get(key), `cut at ${cut} of ${whole.length}`).rejects.toMatchObject(CORRUPT)
        }
      }
    })

    it('reports an unknown format version or codec as corrupt', async () => {
      const whole = await encodeEntry(makePage(), { compressAbove: 8192 })
      const future = Buffer.from(whole)
      future[4] = 2
      await rawSet(future)
      await expect(store.get(key)).rejects.toThrow(/unknown envelope format 2/)
      const codec = Buffer.from(whole)
      codec[5] = 9
      await rawSet(codec)
      await expect(store.get(key)).rejects.toThrow(/unknown body codec 9/)
    })

    it('reports a header of the wrong shape as corrupt', async () => {
      const envelope = (header: unknown): Buffer => {
        const json = Buffer.from(JSON.stringify(header))
        const pre = Buffer.alloc(10)
        pre.write('CTPG', 0, 'latin1')
        pre[4] = 1
        pre.writeUInt32BE(json.length, 6)
        return Buffer.concat([pre, json])
      }
      const { body: _body, ...page } = makePage({ body: Buffer.alloc(0) })
      const bad = [
        [1, 2],
        { kind: 'other' },
        { ...page, bodyLength: 0, status: '200' },
        { ...page, bodyLength: 0, headers: { a: 1 } },
        { ...page, bodyLength: 0, tags: { a: 'x' } },
        { ...page, bodyLength: 5 },
        { kind: 'pass', storedAt: 1, deleteAt: 2 },
      ]
      for (const header of bad) {
        await rawSet(envelope(header))
        await expect(store.get(key), JSON.stringify(header)).rejects.toMatchObject(CORRUPT)
      }
      await rawSet(envelope({ ...page, bodyLength: 0 }))
      expect(await store.get(key)).toMatchObject({ kind: 'page', status: 200 })
    })

    it('stops decompressing a body that grows past the length its header announces', async () => {
      // Announced lengths on both sides of the synchronous limit, actual body 200 KB.
      for (const announced of [10, 70_000]) {
        const { body: _body, ...page } = makePage()
        const json = Buffer.from(JSON.stringify({ ...page, bodyLength: announced }))
        const pre = Buffer.alloc(10)
        pre.write('CTPG', 0, 'latin1')
        pre[4] = 1
        pre[5] = CODEC_BROTLI
        pre.writeUInt32BE(json.length, 6)
        await rawSet(Buffer.concat([pre, json, brotliCompressSync(Buffer.alloc(200_000, 'a'))]))
        await expect(store.get(key), `${announced} bytes announced`).rejects.toThrow(/does not decompress/)
      }
    })

    it('reports a tag counter that is not a number as corrupt', async () => {
      await t.redis.hset(store.keys.tags, 'v:products', 'many')
      await expect(store.tagStates(['products'])).rejects.toMatchObject(CORRUPT)
    })

    it.each(['007', '1e3', ' 5', '0x10', '', '-1', '9007199254740991', '99999999999999999999'])(
      'reads a tag counter %j the purge script could not move as corrupt, as the script does',
      async (value) => {
        await t.redis.hset(store.keys.tags, 'v:products', value)
        await expect(store.tagStates(['products'])).rejects.toMatchObject(CORRUPT)
        await expect(store.purgeTags(['products'], false)).rejects.toMatchObject(CORRUPT)
        expect(await t.redis.hget(store.keys.tags, 'v:products')).toBe(value)
      },
    )

    it.each(unservable())('reads a well-formed envelope holding an entry no response could carry as corrupt: %s', async (_what, entry) => {
      await rawSet(envelopeOf(entry))
      await expect(store.get(key)).rejects.toMatchObject(CORRUPT)
    })

    it.each([
      ['a header list holding a number', { headers: { link: ['</a>', 7] } }],
      ['tags holding a string version', { tags: { products: '3' } }],
      ['tags holding null', { tags: { products: null } }],
      ['an etag that is a number', { etag: 5 }],
      ['status as a string', { status: '200' }],
      ['a bodyLength that is not a whole number', { bodyLength: 10.5 }],
      ['a bodyLength of -1', { bodyLength: -1 }],
      ['headers as a list', { headers: [['x-a', 'b']] }],
      ['a __proto__ header', JSON.parse('{"headers":{"__proto__":["a"]}}') as Record<string, unknown>],
    ])('reads an envelope with %s as corrupt', async (_what, fields) => {
      const { body, ...page } = makePage()
      await rawSet(rawEnvelope({ ...page, bodyLength: body.length, ...fields }, body))
      await expect(store.get(key)).rejects.toMatchObject(CORRUPT)
    })

    it('reads an entry announcing a body over maxBodyBytes as corrupt without decompressing it', async () => {
      const small = new RedisPageStore({ redis: t.redis, prefix: t.prefix, maxBodyBytes: 1000 })
      const { body: _body, ...page } = makePage()
      // 50 MB that compress to about 40 KB: decompressing them is what a read must not do.
      const packed = brotliCompressSync(Buffer.alloc(50 * 1024 * 1024, 'a'))
      await rawSet(rawEnvelope({ ...page, bodyLength: 50 * 1024 * 1024 }, packed, CODEC_BROTLI))
      const started = performance.now()
      await expect(small.get(key)).rejects.toThrow(/body of 52428800 bytes is over the store's maxBodyBytes \(1000\)/)
      expect(performance.now() - started).toBeLessThan(50)
    })
  })

  describe('large bodies', () => {
    it('refuses at set() a body over maxBodyBytes with a coded error, and keeps one at the bound', async () => {
      const small = new RedisPageStore({ redis: t.redis, prefix: t.prefix, maxBodyBytes: 1000 })
      await expect(small.set(key, makePage({ body: Buffer.alloc(1001) }))).rejects.toMatchObject({ code: 'CUTOVER_ERR_STORE_ENTRY_TOO_LARGE' })
      expect(await t.redis.exists(small.keys.page(key))).toBe(0)
      await small.set(key, makePage({ body: Buffer.alloc(1000) }))
      expect(await small.get(key)).toMatchObject({ kind: 'page' })
    })

    it('defaults maxBodyBytes to 10 MiB, what a read carries within the default 100 ms timeout', async () => {
      expect(store.maxBodyBytes).toBe(10 * 1024 * 1024)
      await expect(store.set(key, makePage({ body: Buffer.alloc(50 * 1024 * 1024) }))).rejects.toThrow(
        'RedisPageStore refuses a page body of 52428800 bytes: over its maxBodyBytes of 10485760',
      )
    })
  })

  describe('atomic purges', () => {
    it('moves no tag at all when one of them can not move', async () => {
      await store.purgeTags(['good'], false)
      await t.redis.hset(store.keys.tags, 'v:bad', 'not a number')
      await expect(store.purgeTags(['good', 'other', 'bad'], true)).rejects.toThrow(/tag state of "bad" is not an integer/)
      expect(await t.redis.hmget(store.keys.tags, 'v:good', 'h:good', 'v:other')).toEqual(['1', null, null])
    })

    it('a purge over a corrupt tag counter rejects with a coded error, not a Redis ReplyError', async () => {
      await t.redis.hset(store.keys.tags, 'h:bad', 'x')
      await expect(store.purgeTags(['bad'], false)).rejects.toMatchObject({
        code: 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY',
        message: `cache entry ${store.keys.tags} is corrupt: tag state of "bad" is not an integer ("x"); no tag was purged`,
      })
    })

    it('moves a counter at the largest value it accepts, and refuses one past it before any write', async () => {
      await t.redis.hset(store.keys.tags, 'v:top', '9007199254740990')
      expect(await store.purgeTags(['top'], false)).toEqual({ top: { version: 9007199254740991, hard: 0 } })
      await expect(store.purgeTags(['other', 'top'], false)).rejects.toMatchObject(CORRUPT)
      expect(await t.redis.hget(store.keys.tags, 'v:other')).toBeNull()
    })
  })

  describe('options and arguments', () => {
    it('rejects unknown options, a bad threshold, a bad prefix and a missing client', () => {
      const redis = t.redis
      const code = { code: 'CUTOVER_ERR_STORE_OPTIONS_INVALID' }
      expect(() => new RedisPageStore({ redis, prefix: 'p', ttl: 1 } as never)).toThrow(expect.objectContaining(code))
      expect(() => new RedisPageStore({ redis, prefix: 'p', compressAbove: -1 })).toThrow(/compressAbove/)
      expect(() => new RedisPageStore({ redis, prefix: 'p', compressAbove: 1.5 })).toThrow(/compressAbove/)
      expect(() => new RedisPageStore({ redis: {} as never, prefix: 'p' })).toThrow(expect.objectContaining(code))
      expect(() => new RedisPageStore({ redis, prefix: 'a{b}' })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' }))
    })

    it.each([0, -1, 1.5, 2 ** 53, 512 * 1024 * 1024, NaN, '1mb'])('rejects maxBodyBytes %s with a coded error naming it', (maxBodyBytes) => {
      expect(() => new RedisPageStore({ redis: t.redis, maxBodyBytes: maxBodyBytes as number })).toThrow(
        expect.objectContaining({ code: 'CUTOVER_ERR_STORE_OPTIONS_INVALID', message: expect.stringContaining('maxBodyBytes to be a whole number of bytes from 1 to 535822336') }),
      )
    })

    it('rejects a deleteAt past what PXAT takes with a coded error, not a Redis ReplyError', async () => {
      for (const deleteAt of [1e16, 1e308]) {
        await expect(store.set(key, makePage({ deleteAt }))).rejects.toMatchObject({ code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' })
      }
    })

    it('defaults the prefix to cutover and the threshold to 8192', () => {
      const plain = new RedisPageStore({ redis: t.redis })
      expect(plain.keys.tags).toBe('cutover:v1:tags')
      expect(plain.compressAbove).toBe(8192)
    })

    it('rejects bad lease durations, tokens and entries with coded errors', async () => {
      const code = { code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' }
      await expect(store.acquireLease(key, 0)).rejects.toMatchObject(code)
      await expect(store.acquireLease(key, 1.5)).rejects.toMatchObject(code)
      await expect(store.releaseLease(key, '')).rejects.toMatchObject(code)
      await expect(store.set(key, makePage({ deleteAt: Number.NaN }))).rejects.toMatchObject(code)
      await expect(store.set(key, makePage({ body: 'text' as unknown as Buffer }))).rejects.toMatchObject(code)
      await expect(store.set(key, { ...makePass(), kind: 'other' } as never)).rejects.toMatchObject(code)
      await expect(store.delete('k' as never)).rejects.toMatchObject(code)
      await expect(store.purgeTags(['a'], 'yes' as never)).rejects.toMatchObject(code)
      await expect(store.purgeTags([''], false)).rejects.toMatchObject(code)
      await expect(store.tagStates([42 as unknown as string])).rejects.toMatchObject(code)
    })

    it('takes over a lease key without an expiry (cutover never writes one), and leaves one with an expiry alone', async () => {
      await t.redis.set(store.keys.lease(key), 'hostile')
      const token = await store.acquireLease(key, 5000)
      expect(token).not.toBeNull()
      expect(await t.redis.get(store.keys.lease(key))).toBe(token)
      expect(await t.redis.pttl(store.keys.lease(key))).toBeGreaterThan(0)
      expect(await store.acquireLease(key, 5000)).toBeNull()
    })

    it('leaves the caller\'s client open on close', async () => {
      await store.close()
      expect(await t.redis.ping()).toBe('PONG')
    })
  })
})
