import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import cutover, { type CutoverOptions } from '../../src/plugin.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { LookupOrLease, PageKey, StoredEntry } from '../../src/pagecache/store.js'
import { sleep } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { freePort, ScratchRedis } from '../helpers/redis-server.js'
import { statusOf } from './apps.js'

/**
 * Store-side faults: Redis stalls in the middle of a miss, and writes that
 * land after the client stopped waiting for them (a lease, a page). Stalls are
 * real: DEBUG SLEEP on another connection of a private redis-server keeps
 * Redis busy while the command under test waits in its socket, as a slow
 * command, a fork or a failover pause would.
 */

const PREFIX = 'stall'
type StallOp = 'acquireLease' | 'getOrLease' | 'set'

/** A Redis store whose next lease acquisition or page write runs into a stall of `stallNext` seconds. */
class StallingStore extends RedisPageStore {
  stallNext: { op: StallOp; seconds: number } | undefined
  /** Resolves when the stall is over. */
  stalled: Promise<unknown> = Promise.resolve()

  constructor(
    readonly client: Redis,
    private readonly staller: Redis,
  ) {
    super({ redis: client, prefix: PREFIX })
  }

  override async acquireLease(key: PageKey, ttlMs: number, token?: string): Promise<string | null> {
    await this.maybeStall('acquireLease')
    return super.acquireLease(key, ttlMs, token)
  }

  override async getOrLease(key: PageKey, ttlMs: number, token: string): Promise<LookupOrLease> {
    await this.maybeStall('getOrLease')
    return super.getOrLease(key, ttlMs, token)
  }

  override async set(key: PageKey, entry: StoredEntry): Promise<void> {
    await this.maybeStall('set')
    return super.set(key, entry)
  }

  private async maybeStall(op: StallOp): Promise<void> {
    if (this.stallNext?.op !== op) return
    const { seconds } = this.stallNext
    this.stallNext = undefined
    this.stalled = this.staller.call('DEBUG', 'SLEEP', String(seconds))
    // Give Redis the time to take the DEBUG SLEEP: it is asleep when our command arrives.
    await sleep(20)
  }
}

/** Resolves once no lease key is left in the private server (fails after a second: a lease that is never released). */
async function leaseGone(admin: Redis): Promise<void> {
  await vi.waitFor(async () => expect(await admin.keys(`${PREFIX}:v1:*:lease:*`)).toEqual([]), { timeout: 1000, interval: 10 })
}

describe('store-side faults: Redis stalls (private redis-server)', () => {
  let server: ScratchRedis
  const clients: Redis[] = []
  const apps: FastifyInstance[] = []

  beforeAll(async () => {
    server = new ScratchRedis(await freePort(), ['--enable-debug-command', 'local'])
    await server.start()
  })
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close()
    for (const client of clients.splice(0)) client.disconnect()
  })
  afterAll(async () => {
    await server?.stop()
  })

  const connect = (): Redis => {
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    clients.push(client)
    return client
  }

  /** An app whose /page renders `{ n }` and is cached for a minute, on the given store (the default timeout and lease). */
  async function appOn(options: CutoverOptions): Promise<FastifyInstance> {
    const app = Fastify({ logger: false })
    apps.push(app)
    await app.register(cutover, options)
    let n = 0
    app.get('/page', { config: { cutover: { id: 'page', ttl: 60 } } }, async () => ({ n: ++n }))
    await app.ready()
    return app
  }

  // The lease is taken by the lookup's script (getOrLease) where the store has one, else by acquireLease after the lookup.
  it.each(['getOrLease', 'acquireLease'] as const)('a lease whose SET NX timed out in a stall and ran after it makes no request wait (was: every request waited lease.wait, lease-timeout): %s', async (op) => {
    const admin = connect()
    await admin.flushall() // the private server of this file only
    await admin.config('RESETSTAT')
    const stalling = new StallingStore(connect(), connect())
    if (op === 'acquireLease') Object.assign(stalling, { getOrLease: undefined })
    const a = await appOn({ store: stalling })
    const b = await appOn({ redis: connect(), prefix: PREFIX })

    stalling.stallNext = { op, seconds: 0.6 }
    const first = await a.inject('/page')
    expect(first.statusCode).toBe(200)
    expect(statusOf(first)).toBe('cutover; fwd=bypass; detail=cache-error')
    await stalling.stalled
    await stalling.client.ping() // everything the first request sent has run
    // The SET NX did run, after the stall, and took a lease for a render that had given up on it...
    expect(await admin.info('commandstats')).toMatch(/cmdstat_set:calls=1,/)
    // ...which is released behind it. When the guard timed out before the SET NX was even sent (this store waits
    // 20 ms first), the release sent at once ran before the lease existed, and the one sent on the late answer may
    // land after the ping's reply: wait (bounded) for it.
    await leaseGone(admin)

    // Another process (and this one) render and store at once instead of waiting out lease.wait (5 s).
    for (const app of [b, a]) {
      const started = performance.now()
      const res = await app.inject('/page')
      expect(performance.now() - started).toBeLessThan(1000)
      expect(res.statusCode).toBe(200)
      expect(statusOf(res)).toMatch(/^cutover; (fwd=miss; stored|hit)/)
    }
  })

  it('a page written after its write timed out is a whole page, and its lease is gone with it', async () => {
    const admin = connect()
    await admin.flushall()
    const stalling = new StallingStore(connect(), connect())
    const a = await appOn({ store: stalling })
    const b = await appOn({ redis: connect(), prefix: PREFIX })

    stalling.stallNext = { op: 'set', seconds: 0.4 }
    const first = await a.inject('/page')
    // The user does not wait for the write; it is counted as an error once it times out.
    expect(first.json()).toEqual({ n: 1 })
    expect(statusOf(first)).toBe('cutover; fwd=miss; stored')
    await stalling.stalled
    await stalling.client.ping()
    expect(a.cutover.stats().page?.errors).toBe(1)
    await leaseGone(admin)
    const hit = await b.inject('/page')
    expect(statusOf(hit)).toMatch(/^cutover; hit/)
    expect(hit.json()).toEqual({ n: 1 })
  })
})

describe('store-side faults: waiting on another process\'s render lease', () => {
  let r: RedisForTest
  const apps: FastifyInstance[] = []

  beforeAll(() => {
    r = redisForTest('lease-wait')
  })
  afterEach(async () => {
    for (const app of apps.splice(0)) await app.close()
  })
  afterAll(async () => {
    await r.cleanup()
  })

  /** Two instances on one Redis, as two processes; `route` adds the route to each (`index` 0 or 1). */
  async function twoProcesses(route: (app: FastifyInstance, index: number) => void): Promise<[FastifyInstance, FastifyInstance]> {
    const made = await Promise.all(
      [0, 1].map(async (index) => {
        const app = Fastify({ logger: false })
        apps.push(app)
        await app.register(cutover, { redis: r.connect(), prefix: r.prefix, timeout: 2000 })
        route(app, index)
        await app.ready()
        return app
      }),
    )
    return made as [FastifyInstance, FastifyInstance]
  }

  it('a waiter hears at once that the render it waits on ended without a page, and renders and stores in its place (was: waited lease.wait)', async () => {
    let rendering!: () => void
    const firstRenderStarted = new Promise<void>((resolve) => (rendering = resolve))
    const [a, b] = await twoProcesses((app, index) => {
      const tags = (): string[] => {
        // The first process's tags can't be computed: its page is not stored, its lease is released.
        if (index === 0) throw new Error('tag source down')
        return ['t']
      }
      app.get('/slow', { config: { cutover: { id: 'slow', ttl: 60, tags } } }, async () => {
        if (index === 0) rendering()
        await sleep(200)
        return { by: index }
      })
    })
    const first = a.inject('/slow')
    await firstRenderStarted // a holds the lease
    const started = performance.now()
    const second = await b.inject('/slow')
    expect(performance.now() - started).toBeLessThan(2000)
    expect(statusOf(await first)).toBe('cutover; fwd=miss; detail=tags-error')
    expect(statusOf(second)).toBe('cutover; fwd=miss; stored')
    expect(second.json()).toEqual({ by: 1 })
  })

  it('a waiter is never served the page the purge it missed on made gone (was: served the hard-purged page)', async () => {
    let version = 1
    let rendering: (() => void) | undefined
    const [a, b] = await twoProcesses((app) => {
      app.get('/price', { config: { cutover: { id: 'price', ttl: 60, tags: ['prices'] } } }, async () => {
        const mine = version
        rendering?.()
        await sleep(200)
        return { price: mine }
      })
    })
    expect((await a.inject('/price')).json()).toEqual({ price: 1 })
    version = 2
    await a.cutover.invalidate({ tags: ['prices'], hard: true })
    const renderStarted = new Promise<void>((resolve) => (rendering = resolve))
    const renderer = a.inject('/price')
    await renderStarted // a holds the lease; the purged page is still in Redis
    const waiter = await b.inject('/price')
    expect((await renderer).json()).toEqual({ price: 2 })
    expect(waiter.json()).toEqual({ price: 2 })
    expect(statusOf(waiter)).toMatch(/^cutover; hit; ttl=\d+; detail=coalesced$/)
  })
})
