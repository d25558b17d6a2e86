import type { FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import type { CutoverOptions } from '../../src/plugin.js'
import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { PageStore } from '../../src/pagecache/store.js'
import { appWith } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

const MIB = 1024 * 1024

describe('bounds a store sets on routes, through the plugin', () => {
  let app: FastifyInstance | undefined
  let r: RedisForTest | undefined
  afterEach(async () => {
    await app?.close()
    await r?.cleanup()
    app = r = undefined
  })

  async function withRedis(options: CutoverOptions = {}): Promise<FastifyInstance> {
    r = redisForTest('bounds')
    app = await appWith({ redis: r.redis, prefix: r.prefix, ...options })
    return app
  }

  it('refuses at registration a route maxBytes a Redis read could not carry within the timeout (was: a 50 MB page timed out on every read)', async () => {
    const a = await withRedis()
    expect(() => a.get('/big', { config: { cutover: { id: 'big', ttl: 60, maxBytes: 50 * MIB } } }, async () => 'x')).toThrow(
      expect.objectContaining({
        code: 'CUTOVER_ERR_ROUTE_CONFIG_INVALID',
        message: 'expected route "big" (GET /big) option maxBytes to be at most 10485760 (the page store\'s maxBodyBytes), got 52428800',
      }),
    )
    expect((a.cutover.store as RedisPageStore).maxBodyBytes).toBe(10 * MIB)
  })

  it('scales the bound with the timeout: 0.1 MiB per ms, so 100 MiB at 1000 ms and 512 KiB at 5 ms (which lowers the 1 MiB default)', async () => {
    const slow = await withRedis({ timeout: 1000 })
    slow.get('/big', { config: { cutover: { id: 'big', ttl: 60, maxBytes: 50 * MIB } } }, async () => 'x')
    expect(slow.cutover.routes.get('big')?.maxBytes).toBe(50 * MIB)
    expect((slow.cutover.store as RedisPageStore).maxBodyBytes).toBe(100 * MIB)
    await slow.close()
    await r?.cleanup()

    const fast = await withRedis({ timeout: 5 })
    fast.get('/p', { config: { cutover: { id: 'p', ttl: 60 } } }, async () => 'x')
    expect(fast.cutover.routes.get('p')?.maxBytes).toBe(512 * 1024)
    expect(() => fast.get('/q', { config: { cutover: { id: 'q', ttl: 60, maxBytes: MIB } } }, async () => 'x')).toThrow(
      /option maxBytes to be at most 524288 \(the page store's maxBodyBytes\), got 1048576/,
    )
  })

  it('holds routes to a given store\'s own maxBodyBytes, and to the timeout for a store of the app\'s own', async () => {
    r = redisForTest('bounds')
    app = await appWith({ store: new RedisPageStore({ redis: r.redis, prefix: r.prefix, maxBodyBytes: 1000 }), timeout: 1000 })
    expect(() => app?.get('/a', { config: { cutover: { id: 'a', ttl: 60, maxBytes: 1001 } } }, async () => 'x')).toThrow(/at most 1000 \(the page store's maxBodyBytes\)/)
    await app.close()

    const custom = Object.assign(Object.create(new MemoryPageStore()) as PageStore, { name: 'custom' })
    app = await appWith({ store: custom, timeout: 20 })
    expect(() => app?.get('/b', { config: { cutover: { id: 'b', ttl: 60, maxBytes: 4 * MIB } } }, async () => 'x')).toThrow(
      /at most 2097152 \(what a cache read carries within timeout 20 ms, 0.1 MiB per ms\)/,
    )
  })

  it('leaves the in-process memory store unbounded by the timeout', async () => {
    app = await appWith({})
    app.get('/big', { config: { cutover: { id: 'big', ttl: 60, maxBytes: 50 * MIB } } }, async () => 'x')
    expect(app.cutover.routes.get('big')?.maxBytes).toBe(50 * MIB)
  })

  it.each(['memory', 'redis'])('refuses ttl 1e16 at registration on the %s store (was: Redis refused every write, memory kept the page for ever)', async (kind) => {
    const a = kind === 'redis' ? await withRedis() : (app = await appWith({}))
    expect(() => a.get('/p', { config: { cutover: { id: 'p', ttl: 1e16 } } }, async () => 'x')).toThrow(
      expect.objectContaining({ code: 'CUTOVER_ERR_ROUTE_CONFIG_INVALID', message: expect.stringContaining('ttl to be at most 2147483648 seconds') }),
    )
  })

  it('stores and serves from Redis a followOrigin page whose s-maxage is past 2^31 s (was: "value is not an integer" on every write)', async () => {
    const a = await withRedis()
    a.get('/p', { config: { cutover: { id: 'p', followOrigin: true } } }, async (_req, reply) => {
      reply.header('cache-control', 's-maxage=99999999999999999999999')
      return { ok: true }
    })
    expect((await a.inject('/p')).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    const hit = await a.inject('/p')
    expect(hit.headers['cache-status']).toBe(`cutover; hit; ttl=${2 ** 31}`)
    expect(a.cutover.stats().p?.errors).toBe(0)
  })
})
