import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { runWithMeterContext, type MeterCounts } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { carriedCommands, meterRedis } from '../../src/meter/wrap-redis.js'

/** A stand-in client: records what sendCommand was called with and on what. */
function fakeClient() {
  const calls: Array<{ self: unknown; args: unknown[] }> = []
  const client = {
    evalsha: () => undefined,
    sendCommand(this: unknown, ...args: unknown[]) {
      calls.push({ self: this, args })
      return 'sent'
    },
  }
  return { client, calls }
}

describe('meterRedis', () => {
  it('counts each command but the framing of a transaction, passing every argument on to the client itself', () => {
    const { client, calls } = fakeClient()
    const meter = new Meter({ redis: client as unknown as Redis, flushIntervalMs: 0 })
    const redis = meterRedis(client as unknown as Redis, meter) as unknown as typeof client
    const counts: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    const stream = {}
    const node = {}
    runWithMeterContext({ route: 'r', shadow: false, source: 'request', counts }, () => {
      expect(redis.sendCommand({ name: 'multi' })).toBe('sent')
      redis.sendCommand({ name: 'get' }, stream, node)
      redis.sendCommand({ name: 'set' }, stream)
      redis.sendCommand({ name: 'EXEC' })
    })
    expect(counts.redisCalls).toBe(2)
    expect(calls.map((c) => c.self)).toEqual([client, client, client, client])
    expect(calls[1]!.args).toEqual([{ name: 'get' }, stream, node])
  })

  it('hands out one counting sendCommand, made again only when the client replaces its own', () => {
    const { client, calls } = fakeClient()
    const meter = new Meter({ redis: client as unknown as Redis, flushIntervalMs: 0 })
    const redis = meterRedis(client as unknown as Redis, meter) as unknown as typeof client
    const first = redis.sendCommand
    expect(redis.sendCommand).toBe(first)
    const replaced: unknown[] = []
    client.sendCommand = (...args: unknown[]) => {
      replaced.push(args)
      return 'sent'
    }
    const counts: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    runWithMeterContext({ route: 'r', shadow: false, source: 'request', counts }, () => redis.sendCommand({ name: 'get' }))
    expect(redis.sendCommand).not.toBe(first)
    expect(replaced).toHaveLength(1)
    expect(calls).toHaveLength(0)
    expect(counts.redisCalls).toBe(1)
  })

  it('makes pipelines and MULTI on the client itself and counts what they carry, but the framing, once, in the context exec() is called in', async () => {
    const made: unknown[] = []
    const batch = (framed: boolean) => {
      const queue: Array<{ name: string }> = framed ? [{ name: 'multi' }] : []
      const b = {
        _queue: queue,
        get length() {
          return queue.length
        },
        get(key: string) {
          queue.push({ name: 'get' })
          void key
          return b
        },
        exec(this: unknown) {
          if (framed) queue.push({ name: 'exec' })
          return Promise.resolve(queue.length)
        },
      }
      return b
    }
    const client = {
      evalsha: () => undefined,
      sendCommand: () => 'sent',
      pipeline(this: unknown) {
        made.push(this)
        return batch(false)
      },
      multi(this: unknown, options?: { pipeline?: boolean }) {
        made.push(this)
        return options?.pipeline === false ? Promise.resolve('OK') : batch(true)
      },
    }
    const meter = new Meter({ redis: client as unknown as Redis, flushIntervalMs: 0 })
    const redis = meterRedis(client as unknown as Redis, meter) as unknown as typeof client
    const counts: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    const pipeline = redis.pipeline().get('a').get('b').get('c')
    const multi = (redis.multi() as ReturnType<typeof batch>).get('a').get('b')
    await runWithMeterContext({ route: 'r', shadow: false, source: 'request', counts }, async () => {
      expect(await pipeline.exec()).toBe(3)
      await multi.exec()
      // A retry (ioredis calls exec again on a cluster that was not ready) counts nothing more.
      await pipeline.exec()
      expect(await redis.multi({ pipeline: false })).toBe('OK')
    })
    expect(counts.redisCalls).toBe(5)
    expect(made).toEqual([client, client, client])
  })
})

describe('carriedCommands', () => {
  it('counts the queued commands but MULTI and EXEC, and falls back to length without a queue', () => {
    expect(carriedCommands({ _queue: [{ name: 'multi' }, { name: 'get' }, { name: 'incr' }, { name: 'exec' }], length: 4 })).toBe(2)
    expect(carriedCommands({ _queue: [] })).toBe(0)
    expect(carriedCommands({ length: 7 })).toBe(7)
    expect(carriedCommands({})).toBe(0)
  })
})
