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

describe('meterQueue on a queue that stamps the origin itself', () => {
  it('hands over the caller\'s jobs uncopied with the route as options.origin, and counts each origin\'s jobs', async () => {
    const sent: Array<[readonly RefreshJob[], unknown]> = []
    const queue = {
      driver: 'list',
      name: 'refresh',
      stampsOrigin: true,
      enqueue: async (jobs: readonly RefreshJob[], options: unknown) => void sent.push([jobs, options]),
    } as unknown as RefreshQueue
    const counted: Array<[string, number]> = []
    const meter = new Meter({ redis: { evalsha: () => undefined } as unknown as Redis, flushIntervalMs: 0 })
    meter.countEnqueued = (origin, n) => void counted.push([origin, n])
    const metered = meterQueue(queue, meter)
    expect(metered.stampsOrigin).toBe(true)
    const jobs: RefreshJob[] = [{ table: 'products', id: 1 }, { table: 'products', id: 2, origin: 'other' }]
    await runWithMeterContext({ route: 'products.list', shadow: false, source: 'request' }, () => metered.enqueue(jobs))
    expect(sent).toEqual([[jobs, { origin: 'products.list' }]])
    expect(sent[0]![0]).toBe(jobs)
    expect(counted).toEqual([['products.list', 1], ['other', 1]])
    // An origin the caller names beats the context's route; a malformed one is a coded error.
    await runWithMeterContext({ route: 'products.list', shadow: false, source: 'request' }, () => metered.enqueue(jobs.slice(0, 1), { origin: 'named' }))
    expect(sent[1]![1]).toEqual({ origin: 'named' })
    await expect(metered.enqueue(jobs, { origin: 1 as unknown as string })).rejects.toMatchObject({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' })
    expect(sent).toHaveLength(2)
  })
})

describe('jobsPerOrigin', () => {
  it('gives one entry when every job is the route\'s own (stamped or to be), else the count per origin', () => {
    const job = (origin?: string): RefreshJob => ({ table: 't', id: 1, ...(origin === undefined ? {} : { origin }) })
    expect([...jobsPerOrigin([job('a'), job('a')], 'a')]).toEqual([['a', 2]])
    expect([...jobsPerOrigin([job(), job('a')], 'a')]).toEqual([['a', 2]])
    expect([...jobsPerOrigin([job('a'), job('b'), job('a')], 'a')]).toEqual([['a', 2], ['b', 1]])
    expect([...jobsPerOrigin([job(), job('b'), job()], 'a')]).toEqual([['a', 2], ['b', 1]])
    expect([...jobsPerOrigin([], 'a')]).toEqual([])
  })
})
