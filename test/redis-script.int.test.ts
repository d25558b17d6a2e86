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

  /** The client's socket writes from here on: how many reached the kernel (write and writev calls), and the chunks they carried. */
  const socketWrites = (client: Redis): { writes: () => number; chunks: () => number } => {
    const socket = client.stream as unknown as { _write: (...a: unknown[]) => unknown; _writev: (chunks: unknown[], cb: unknown) => unknown }
    let writes = 0
    let chunks = 0
    const write = socket._write.bind(socket)
    const writev = socket._writev.bind(socket)
    vi.spyOn(socket, '_write').mockImplementation((...a: unknown[]) => {
      writes++
      chunks++
      return write(...a)
    })
    vi.spyOn(socket, '_writev').mockImplementation((all: unknown[], cb: unknown) => {
      writes++
      chunks += all.length
      return writev(all, cb)
    })
    return { writes: () => writes, chunks: () => chunks }
  }

  it('sends the calls of one event-loop turn in one socket write, each answered with its own reply, in the calls\' order', async () => {
    const script = freshScript()
    await t.redis.script('LOAD', script.source)
    const batch = new ScriptBatch(t.redis)
    const pipelines = vi.spyOn(t.redis, 'pipeline')
    const sent = socketWrites(t.redis)
    const turn = (): Array<Promise<unknown>> => [1, 2, 3, 4].map((n) => batch.runBuffer(script, [`${t.prefix}:${n % 2}`], [n]))
    // Keys :1 and :0 take 1+3 and 2+4: each reply is its own call's, in order.
    expect(await Promise.all(turn())).toEqual([1, 2, 4, 6])
    expect([sent.writes(), sent.chunks()]).toEqual([1, 4])
    expect(await Promise.all(turn())).toEqual([5, 8, 8, 12])
    expect([sent.writes(), sent.chunks()]).toEqual([2, 8])
    // Not through an ioredis pipeline (see ScriptBatch: what its objects cost the garbage collector).
    expect(pipelines).not.toHaveBeenCalled()
    expect((t.redis.stream as unknown as { writableCorked: number }).writableCorked).toBe(0)
  })

  it('sends a lone call on its own', async () => {
    const batch = new ScriptBatch(t.redis)
    const script = freshScript()
    await t.redis.script('LOAD', script.source)
    const cork = vi.spyOn(t.redis.stream, 'cork')
    const sent = socketWrites(t.redis)
    expect(await batch.runBuffer(script, [`${t.prefix}:n`], [7])).toBe(7)
    expect([sent.writes(), sent.chunks()]).toEqual([1, 1])
    expect(cork).not.toHaveBeenCalled()
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

  it('sends a batch uncorked on a client with no socket to cork', async () => {
    const script = freshScript()
    const batch = new ScriptBatch(t.redis)
    const stream = t.redis.stream
    Object.defineProperty(t.redis, 'stream', { value: undefined, configurable: true, writable: true })
    try {
      expect([...(await Promise.all([1, 2].map((n) => batch.runBuffer(script, [`${t.prefix}:n`], [n]))))].sort()).toEqual([1, 3])
    } finally {
      Object.defineProperty(t.redis, 'stream', { value: stream, configurable: true, writable: true })
    }
  })

  it('rejects a call that throws instead of answering, sends the others, throws nothing outside them and leaves the socket uncorked', async () => {
    const script = freshScript()
    const batch = new ScriptBatch(t.redis)
    vi.spyOn(script, 'runBuffer').mockImplementationOnce(() => {
      throw new Error('thrown, not rejected')
    })
    const settled = await Promise.allSettled([1, 2].map((n) => batch.runBuffer(script, [`${t.prefix}:n`], [n])))
    expect(settled[0]).toMatchObject({ status: 'rejected', reason: { message: 'thrown, not rejected' } })
    expect(settled[1]).toEqual({ status: 'fulfilled', value: 2 })
    expect((t.redis.stream as unknown as { writableCorked: number }).writableCorked).toBe(0)
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
