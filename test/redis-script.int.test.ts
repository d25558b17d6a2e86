import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { RedisScript, ScriptBatch } from '../src/redis-script.js'
import { REDIS_URL } from './helpers/services.js'
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

describe('ScriptBatch', () => {
  let t: RedisForTest
  beforeEach(() => {
    t = redisForTest('script-batch')
  })
  afterEach(() => t.cleanup())

  /** A script no server has seen (a fresh comment): INCRBY, or an error when asked for 'bad'. */
  const freshScript = (): RedisScript =>
    new RedisScript(`-- ${randomUUID()}\nif ARGV[1] == 'bad' then return redis.error_reply('ERR boom') end\nreturn redis.call('INCRBY', KEYS[1], ARGV[1])`)

  it('sends the calls of one event-loop turn as one pipeline, each answered with its own reply, in the calls\' order', async () => {
    const script = freshScript()
    await t.redis.script('LOAD', script.source)
    const batch = new ScriptBatch(t.redis)
    const pipelines = vi.spyOn(t.redis, 'pipeline')
    const direct = vi.spyOn(t.redis as unknown as { evalshaBuffer: () => unknown }, 'evalshaBuffer')
    const turn = (): Array<Promise<unknown>> => [1, 2, 3, 4].map((n) => batch.runBuffer(script, [`${t.prefix}:${n % 2}`], [n]))
    // Keys :1 and :0 take 1+3 and 2+4: each reply is its own call's, in order.
    expect(await Promise.all(turn())).toEqual([1, 2, 4, 6])
    expect(pipelines).toHaveBeenCalledTimes(1)
    expect(await Promise.all(turn())).toEqual([5, 8, 8, 12])
    expect(pipelines).toHaveBeenCalledTimes(2)
    expect(direct).not.toHaveBeenCalled()
  })

  it('sends a lone call on its own, with no pipeline', async () => {
    const batch = new ScriptBatch(t.redis)
    const pipelines = vi.spyOn(t.redis, 'pipeline')
    expect(await batch.runBuffer(freshScript(), [`${t.prefix}:n`], [7])).toBe(7)
    expect(pipelines).not.toHaveBeenCalled()
  })

  it('loads a script the server has not seen from a batch, and answers every call of it', async () => {
    const script = freshScript()
    const batch = new ScriptBatch(t.redis)
    const answers = await Promise.all([1, 1, 1].map((n) => batch.runBuffer(script, [`${t.prefix}:n`], [n])))
    expect([...answers].sort()).toEqual([1, 2, 3])
    expect(await t.redis.script('EXISTS', script.sha)).toEqual([1])
  })

  it('rejects only the call whose script failed', async () => {
    const batch = new ScriptBatch(t.redis)
    const script = freshScript()
    const settled = await Promise.allSettled(['1', 'bad', '2'].map((arg) => batch.runBuffer(script, [`${t.prefix}:n`], [arg])))
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled'])
    expect((settled[1] as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringMatching(/boom/) })
    expect((settled[2] as PromiseFulfilledResult<unknown>).value).toBe(3)
  })

  it('rejects every call of a batch sent on a closed connection (none is left waiting)', async () => {
    const client = t.connect()
    await client.ping()
    client.disconnect()
    const batch = new ScriptBatch(client)
    const settled = await Promise.allSettled([1, 2, 3].map((n) => batch.runBuffer(freshScript(), [`${t.prefix}:n`], [n])))
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected'])
  })

  it('sends its batches under an app test\'s fake timers too (they replace the global setImmediate)', async () => {
    const batch = new ScriptBatch(t.redis)
    const script = freshScript()
    vi.useFakeTimers()
    try {
      const answers = await Promise.all([1, 2].map((n) => batch.runBuffer(script, [`${t.prefix}:n`], [n])))
      expect([...answers].sort()).toEqual([1, 3])
    } finally {
      vi.useRealTimers()
    }
  })

  it('rejects every call of a batch whose pipeline could not be made, and throws nothing outside them', async () => {
    const batch = new ScriptBatch(t.redis)
    vi.spyOn(t.redis, 'pipeline').mockImplementation(() => {
      throw new Error('no pipeline')
    })
    const settled = await Promise.allSettled([1, 2].map((n) => batch.runBuffer(freshScript(), [`${t.prefix}:n`], [n])))
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected'])
    expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({ message: 'no pipeline' })
  })

  it('leaves a client that auto-pipelines to do so itself: each call goes through the client', async () => {
    const client = new Redis(REDIS_URL, { enableAutoPipelining: true, maxRetriesPerRequest: 1 })
    try {
      const direct = vi.spyOn(client as unknown as { evalshaBuffer: () => unknown }, 'evalshaBuffer')
      const batch = new ScriptBatch(client)
      const script = freshScript()
      expect([...(await Promise.all([1, 2].map((n) => batch.runBuffer(script, [`${t.prefix}:n`], [n]))))].sort()).toEqual([1, 3])
      expect(direct).toHaveBeenCalledTimes(2)
    } finally {
      client.disconnect()
    }
  })
})
