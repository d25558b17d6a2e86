import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { CountBuffer, type Counts } from '../../src/meter/counts.js'
import { sendPending } from '../../src/meter/flush.js'
import { meterKeys } from '../../src/meter/keys.js'

describe('CountBuffer', () => {
  it('hands over what it counted and starts empty', () => {
    const buffer = new CountBuffer()
    buffer.increment(60, 'u|a|queries', 2)
    buffer.increment(60, 'u|a|queries', 3)
    buffer.raise(60, 'q|refresh|depthMax', 5)
    buffer.raise(60, 'q|refresh|depthMax', 4)
    buffer.setLatest(60, 'q|refresh|depthLast', 5)
    buffer.setLatest(60, 'q|refresh|depthLast', 4)
    buffer.addBacklog('a', 2)
    const taken = buffer.take()
    expect(taken.increments.get(60)).toEqual(new Map([['u|a|queries', 5]]))
    expect(taken.maxima.get(60)).toEqual(new Map([['q|refresh|depthMax', 5]]))
    expect(taken.latest.get(60)).toEqual(new Map([['q|refresh|depthLast', 4]]))
    expect(taken.backlog).toEqual(new Map([['a', 2]]))
    expect(buffer.take()).toEqual({ increments: new Map(), maxima: new Map(), latest: new Map(), backlog: new Map() })
  })

  it('puts unsent counts back under newer ones: counters and backlog add up, maxima keep the highest, the newer last value wins', () => {
    const buffer = new CountBuffer()
    buffer.increment(60, 'u|a|queries', 1)
    buffer.raise(60, 'q|refresh|depthMax', 3)
    buffer.setLatest(60, 'q|refresh|depthLast', 3)
    buffer.addBacklog('a', 1)
    const unsent = buffer.take()
    buffer.increment(60, 'u|a|queries', 2)
    buffer.raise(60, 'q|refresh|depthMax', 2)
    buffer.setLatest(60, 'q|refresh|depthLast', 2)
    buffer.addBacklog('a', -1)
    buffer.putBack(unsent)
    const totals: Counts = new Map([['u|a|queries', 10]])
    buffer.addUnsentTo(totals)
    expect(totals).toEqual(new Map([['u|a|queries', 13]]))
    const merged = buffer.take()
    expect(merged.maxima.get(60)?.get('q|refresh|depthMax')).toBe(3)
    expect(merged.latest.get(60)?.get('q|refresh|depthLast')).toBe(2)
    expect(merged.backlog.get('a')).toBe(0)
  })
})

describe('sendPending', () => {
  it('sends buckets oldest first with the backlog on the first, and leaves in pending only what Redis did not take', async () => {
    const calls: unknown[][] = []
    // The flush script runs by EVALSHA: (sha, key count, ...keys, ...args).
    const redis = {
      evalsha: async (_sha: string, _keys: number, ...args: unknown[]) => {
        if (calls.length === 1) throw new Error('connection lost')
        calls.push(args)
        return 1
      },
    } as unknown as Redis
    const buffer = new CountBuffer()
    buffer.increment(120, 'u|a|queries', 2)
    buffer.increment(60, 'u|a|queries', 1)
    buffer.addBacklog('a', 1)
    const pending = buffer.take()
    const sent: string[][] = []
    const target = { redis, keys: meterKeys('t'), bucketSeconds: 60, retentionSeconds: 100 }
    await expect(sendPending(target, pending, 180, (inc) => sent.push(inc))).rejects.toThrow('connection lost')
    expect(calls).toEqual([[meterKeys('t').bucket(60, 60), meterKeys('t').backlog(), 100, 1, 0, 0, 1, 'u|a|queries', '1', 'a', '1']])
    expect(sent).toEqual([['u|a|queries', '1']])
    expect([...pending.increments.keys()]).toEqual([120])
    expect(pending.backlog.size).toBe(0)
  })

  it('sends a backlog change alone into the current bucket', async () => {
    const calls: unknown[][] = []
    const redis = { evalsha: async (_sha: string, _keys: number, ...args: unknown[]) => calls.push(args) } as unknown as Redis
    const buffer = new CountBuffer()
    buffer.addBacklog('a', -1)
    await sendPending({ redis, keys: meterKeys('t'), bucketSeconds: 60, retentionSeconds: 100 }, buffer.take(), 180, () => undefined)
    expect(calls).toEqual([[meterKeys('t').bucket(60, 180), meterKeys('t').backlog(), 100, 0, 0, 0, 1, 'a', '-1']])
  })
})
