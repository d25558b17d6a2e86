import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import { redisForTest } from '../helpers/redis.js'
import { pageStoreContract } from './page-store.contract.js'

pageStoreContract('redis', async () => {
  const t = redisForTest('redis-store')
  return { store: new RedisPageStore({ redis: t.redis, prefix: t.prefix }), cleanup: t.cleanup }
})

pageStoreContract('redis, compressing every body', async () => {
  const t = redisForTest('redis-store-z')
  return { store: new RedisPageStore({ redis: t.redis, prefix: t.prefix, compressAbove: 0 }), cleanup: t.cleanup }
})
