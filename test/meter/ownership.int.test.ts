import { describe, expect, it } from 'vitest'
import { Meter } from '../../src/meter/meter.js'
import { redisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

describe('who closes the meter\'s Redis client', () => {
  it('a client given to the meter stays open after close(): it is the app\'s', async () => {
    const r = redisForTest('meter-own')
    const meter = new Meter({ redis: r.redis, prefix: r.prefix, flushIntervalMs: 0 })
    meter.countRequest('r', false)
    await meter.close()
    expect(r.redis.status).toBe('ready')
    expect(await r.redis.ping()).toBe('PONG')
    await r.cleanup()
  })

  it('a client the meter opened from a URL is quit by close(), after the last counts are sent', async () => {
    const r = redisForTest('meter-own')
    const meter = new Meter({ redis: REDIS_URL, prefix: r.prefix, flushIntervalMs: 0 })
    meter.countRequest('r', false)
    await meter.close()
    const keys = await r.redis.keys(`${r.prefix}:*`)
    expect(keys.length).toBeGreaterThan(0)
    expect((meter as unknown as { redis: { status: string } }).redis.status).toBe('end')
    await r.cleanup()
  })

  it('refuses a URL that is not redis://', () => {
    expect(() => new Meter({ redis: 'http://127.0.0.1:6379' })).toThrow(/redis to be an ioredis client or a redis:\/\/ URL/)
  })
})
