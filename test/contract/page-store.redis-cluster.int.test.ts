import { Cluster } from 'ioredis'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { startRedisCluster, type RedisClusterForTest } from '../helpers/redis-cluster.js'
import { uniqueSuffix } from '../helpers/services.js'
import { makePage, pageStoreContract } from './page-store.contract.js'

// The Redis drivers on a real three-master Redis Cluster: every multi-key
// command must stay within one slot, or the cluster refuses it (CROSSSLOT).
describe('on Redis Cluster', () => {
  let cluster: RedisClusterForTest
  const clients: Cluster[] = []
  const connect = (): Cluster => {
    const client = new Cluster(cluster.nodes, { redisOptions: { maxRetriesPerRequest: 1 } })
    clients.push(client)
    return client
  }
  const cleanup = async (): Promise<void> => {
    for (const client of clients.splice(0)) client.disconnect()
  }

  beforeAll(async () => {
    cluster = await startRedisCluster()
  })
  afterAll(async () => {
    await cleanup()
    await cluster?.stop()
  })

  pageStoreContract('redis on a cluster', async () => ({
    store: new RedisPageStore({ redis: connect(), prefix: `cutover-test-${uniqueSuffix()}` }),
    cleanup,
  }))

  pageStoreContract('tiered on a cluster', async () => {
    const store = new TieredPageStore({ redis: connect(), prefix: `cutover-test-${uniqueSuffix()}` })
    await store.ready()
    if (!store.memoryInUse) throw new Error('the tiered store did not subscribe on the cluster')
    return { store, cleanup }
  })

  describe('slots', () => {
    let redis: Cluster
    let store: RedisPageStore
    beforeEach(() => {
      redis = connect()
      store = new RedisPageStore({ redis, prefix: `cutover-test-${uniqueSuffix()}` })
    })
    afterEach(cleanup)

    it('puts the page and lease of one route in one slot, and spreads routes over the masters', async () => {
      const slotOf = async (name: string): Promise<number> => Number(await redis.cluster('KEYSLOT', name))
      const routes = Array.from({ length: 12 }, (_, i) => `route.${i}`).concat(['a}b', '{x}:y'])
      const slots = new Set<number>()
      for (const route of routes) {
        const page = await slotOf(store.keys.page({ route, hash: 'h1' }))
        expect(await slotOf(store.keys.page({ route, hash: 'h2' }))).toBe(page)
        expect(await slotOf(store.keys.lease({ route, hash: 'h1' }))).toBe(page)
        slots.add(page)
      }
      expect(slots.size).toBeGreaterThan(routes.length / 2)
    })

    it('deletes keys of several routes that live on different masters in one call', async () => {
      const keys = Array.from({ length: 12 }, (_, i) => ({ route: `route.${i}`, hash: 'h' }))
      for (const key of keys) await store.set(key, makePage())
      expect(await store.delete(keys)).toBe(keys.length)
    })

    it('drops memory copies in a second tiered store through cluster pub/sub', async () => {
      const prefix = `cutover-test-${uniqueSuffix()}`
      const a = new TieredPageStore({ redis: connect(), prefix })
      const b = new TieredPageStore({ redis: connect(), prefix })
      await Promise.all([a.ready(), b.ready()])
      const key = { route: 'products.list', hash: 'ab' }
      await a.set(key, makePage({ tags: { products: 0 } }))
      expect(await b.get(key)).toBeDefined()
      await redis.del(b.redisStore.keys.page(key))
      expect(await b.get(key)).toBeDefined()
      await a.purgeTags(['products'], false)
      const until = Date.now() + 5000
      while ((await b.get(key)) !== undefined) {
        if (Date.now() > until) throw new Error('the purge did not reach the second store')
        await new Promise((resolve) => setTimeout(resolve, 10))
      }
      await Promise.all([a.close(), b.close()])
    })
  })
})
