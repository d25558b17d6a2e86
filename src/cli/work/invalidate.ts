import { closeAll } from '../../demo/close-all.js'
import { openDemoRedis } from '../../demo/services.js'
import { invalidate, type InvalidateInput, type InvalidateResult } from '../../pagecache/invalidate.js'
import { RedisPageStore } from '../../pagecache/redis-store.js'

/** Purges through the shared Redis store, which announces it so every process drops its memory copies. */
export async function purge(options: { redisUrl: string; prefix: string; input: InvalidateInput }): Promise<InvalidateResult> {
  const redis = await openDemoRedis(options.redisUrl, '--redis-url (or REDIS_URL)')
  const store = new RedisPageStore({ redis, prefix: options.prefix })
  try {
    return await invalidate(store, options.input)
  } finally {
    await closeAll([() => store.close(), () => redis.disconnect()])
  }
}
