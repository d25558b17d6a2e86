import type { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { runWithMeterContext, type MeterCounts } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { jobsPerOrigin, meterQueue } from '../../src/meter/wrap-queue.js'
import type { RefreshJob, RefreshQueue } from '../../src/queue/refresh-queue.js'

describe('meterQueue', () => {
  it('stamps the jobs without an origin with the route, keeping every field they had and leaving the caller\'s objects alone', async () => {
    const sent: RefreshJob[][] = []
    const queue = { driver: 'list', name: 'refresh', enqueue: async (jobs: readonly RefreshJob[]) => void sent.push([...jobs]) } as unknown as RefreshQueue
    const meter = new Meter({ redis: { evalsha: () => undefined } as unknown as Redis, flushIntervalMs: 0 })
    const metered = meterQueue(queue, meter)
    const jobs = [{ table: 'products', id: 1, extra: 'kept' } as RefreshJob, { table: 'products', id: 2, origin: 'other' }]
    const counts: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    await runWithMeterContext({ route: 'products.list', shadow: false, source: 'request', counts }, () => metered.enqueue(jobs))
    expect(sent).toEqual([[{ table: 'products', id: 1, extra: 'kept', origin: 'products.list' }, { table: 'products', id: 2, origin: 'other' }]])
    expect(jobs[0]).toEqual({ table: 'products', id: 1, extra: 'kept' })
    expect(counts.refreshJobs).toBe(2)
  })
})

describe('jobsPerOrigin', () => {
  it('gives one entry when every job is the route\'s own, else the count per origin', () => {
    const job = (origin: string): RefreshJob => ({ table: 't', id: 1, origin })
    expect([...jobsPerOrigin([job('a'), job('a')], 'a')]).toEqual([['a', 2]])
    expect([...jobsPerOrigin([job('a'), job('b'), job('a')], 'a')]).toEqual([['a', 2], ['b', 1]])
    expect([...jobsPerOrigin([], 'a')]).toEqual([])
  })
})
