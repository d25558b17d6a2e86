import { randomUUID } from 'node:crypto'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { RedisScript } from '../src/redis-script.js'
import { redisForTest, type RedisForTest } from './helpers/redis.js'

describe('RedisScript', () => {
  let t: RedisForTest
  beforeEach(() => {
    t = redisForTest('redis-script')
  })
  afterEach(() => t.cleanup())

  it('loads a script the server has never seen, then runs it by its sha', async () => {
    // A fresh comment gives a sha no server can know yet.
    const script = new RedisScript(`-- ${randomUUID()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`)
    expect(await t.redis.script('EXISTS', script.sha)).toEqual([0])
    expect(await script.run(t.redis, [`${t.prefix}:n`], [2])).toBe(2)
    expect(await t.redis.script('EXISTS', script.sha)).toEqual([1])
    expect(await script.run(t.redis, [`${t.prefix}:n`], [3])).toBe(5)
  })

  it('passes script errors through', async () => {
    const script = new RedisScript(`-- ${randomUUID()}\nreturn redis.error_reply('ERR boom')`)
    await expect(script.run(t.redis, [`${t.prefix}:n`], [])).rejects.toThrow(/boom/)
  })
})
