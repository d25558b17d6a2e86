import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { runWithMeterContext, type MeterCounts } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'

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
    client.sendCommand = (...args: unknown[]) => replaced.push(args)
    const counts: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    runWithMeterContext({ route: 'r', shadow: false, source: 'request', counts }, () => redis.sendCommand({ name: 'get' }))
    expect(redis.sendCommand).not.toBe(first)
    expect(replaced).toHaveLength(1)
    expect(calls).toHaveLength(0)
    expect(counts.redisCalls).toBe(1)
  })
})
