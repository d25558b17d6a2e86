import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { redisForTest } from '../helpers/redis.js'
import { pageStoreContract } from './page-store.contract.js'

pageStoreContract('tiered (memory in front of redis)', async () => {
  const t = redisForTest('tiered-store')
  const store = new TieredPageStore({ redis: t.redis, prefix: t.prefix, memory: { maxBytes: 8 * 1024 * 1024, maxTtlMs: 5000 } })
  await store.ready()
  if (!store.memoryInUse) throw new Error('the tiered store did not subscribe to invalidations')
  return { store, cleanup: t.cleanup }
})
