import { Redis } from 'ioredis'
import { REDIS_URL, uniqueSuffix } from './services.js'

export interface RedisForTest {
  redis: Redis
  /** A key prefix no other test uses; pass it as cutover's `prefix` option. */
  prefix: string
  /** New connection to the same server (subscribers, second app instances). */
  connect(): Redis
  /** Deletes every key under the prefix and closes all connections made here. */
  cleanup(): Promise<void>
}

export function redisForTest(name = 't'): RedisForTest {
  const prefix = `cutover-test-${name}-${uniqueSuffix()}`
  const opened: Redis[] = []
  const connect = (): Redis => {
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 })
    opened.push(r)
    return r
  }
  const redis = connect()
  return {
    redis,
    prefix,
    connect,
    async cleanup() {
      const cleaner = new Redis(REDIS_URL)
      let cursor = '0'
      do {
        const [next, keys] = await cleaner.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000)
        cursor = next
        if (keys.length > 0) await cleaner.del(...keys)
      } while (cursor !== '0')
      cleaner.disconnect()
      for (const r of opened) r.disconnect()
    },
  }
}
