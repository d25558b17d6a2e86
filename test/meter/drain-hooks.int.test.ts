import { afterAll, describe, expect, it } from 'vitest'
import { StaticFlagSource } from '../../src/flags/static-source.js'
import { runWithMeterContext } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { readMeter } from '../../src/meter/read.js'
import { meterDrainer, meterGatedQueue } from '../../src/meter/wrap-drain.js'
import { createDrainer } from '../../src/queue/drainer.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { summarize } from '../../src/report/amplification.js'
import { renderTerminal } from '../../src/report/render-text.js'
import { redisForTest } from '../helpers/redis.js'

const env = redisForTest('drain-hooks')
afterAll(() => env.cleanup())

const request = <T>(route: string, fn: () => Promise<T>): Promise<T> => runWithMeterContext({ route, shadow: false, source: 'request' }, fn)

describe('the meter and the drain', () => {
  it('counts the gate\'s decisions per route and charges a drained batch\'s reads to its jobs\' routes', async () => {
    const from = Date.now()
    const prefix = `${env.prefix}-a`
    const meter = new Meter({ redis: env.connect(), prefix, flushIntervalMs: 0 })
    const flags = new StaticFlagSource({ list: { mode: 'canary', percent: 10 }, get: 'on', other: 'off' })
    const raw = new ListRefreshQueue({ redis: env.redis, prefix, name: 'q' })
    const queue = meterGatedQueue(raw, meter, { flags })
    const page = (start: number): Array<{ table: string; id: number }> => Array.from({ length: 100 }, (_, i) => ({ table: 'products', id: start + i }))
    // Three list pages over 150 records (dedupe), two product pages (drop), one legacy page of 60 (pass).
    await request('list', () => queue.enqueue(page(1)))
    await request('list', () => queue.enqueue(page(51)))
    await request('list', () => queue.enqueue(page(1)))
    await request('get', () => queue.enqueue(page(1).slice(0, 2)))
    await request('other', () => queue.enqueue(page(1).slice(0, 60)))
    expect(await raw.depth()).toBe(150 + 60)

    let queries = 0
    const drainer = createDrainer({
      queue: raw, redis: env.redis, rate: 100_000, batchSize: 100, untilDepth: 0, ...meterDrainer(meter),
      refreshMany: async () => {
        queries++
        meter.countQuery() // what a metered pool does for the one IN (...) query
      },
    })
    const result = await drainer.start()
    await meter.close()
    const reading = await readMeter({ redis: env.redis, prefix, from, to: Date.now() })
    const list = reading.user.get('list')?.counters
    const other = reading.user.get('other')?.counters
    expect(list).toMatchObject({ jobs: 300, gatePassed: 150, gateDeduped: 150, jobsDone: 150 })
    expect(reading.user.get('get')?.counters).toMatchObject({ jobs: 2, gateDropped: 2 })
    expect(other).toMatchObject({ jobs: 60, gatePassed: 60, jobsDone: 60 })
    // One query per batch, split between the routes by their jobs (whole calls; at most one short per route).
    const charged = (list?.refreshReads ?? 0) + (other?.refreshReads ?? 0)
    expect(queries).toBe(result.totals.queries)
    expect(charged).toBeGreaterThanOrEqual(queries - 2)
    expect(charged).toBeLessThanOrEqual(queries)
    expect(reading.backlog.size).toBe(0)

    const snapshot = summarize(reading, { label: 'drain', durationSeconds: 1 })
    const listFigures = snapshot.routes.find((r) => r.route === 'list')
    expect(listFigures).toMatchObject({ gatePassed: 150, gateDeduped: 150, gateDropped: 0, refreshReadsOwed: 0 })
    expect(renderTerminal({ title: 't', generatedAt: '', phases: [snapshot] })).toMatch(/list .* 150\/150\/0/)
  })

  it('splits calls by weight and carries the fractions to the next batch', async () => {
    const prefix = `${env.prefix}-b`
    const from = Date.now()
    const meter = new Meter({ redis: env.connect(), prefix, flushIntervalMs: 0 })
    const origins = new Map([['a', 60], ['b', 40]])
    for (let i = 0; i < 10; i++) await meter.runJobs(origins, async () => meter.countQuery())
    await meter.close()
    const reading = await readMeter({ redis: env.redis, prefix, from, to: Date.now() })
    expect(reading.user.get('a')?.counters).toEqual({ refreshReads: 6, jobsDone: 600 })
    expect(reading.user.get('b')?.counters).toEqual({ refreshReads: 4, jobsDone: 400 })
  })
})

describe('amplification figures with a gate', () => {
  it('owes no reads for jobs the gate deduped or dropped', () => {
    const reading = {
      from: 0, to: 60_000, bucketSeconds: 60,
      user: new Map([['r', { route: 'r', counters: { requests: 10, jobs: 1000, gatePassed: 100, gateDeduped: 800, gateDropped: 100, jobsDone: 50, refreshReads: 50 }, latency: new Map() }]]),
      shadow: new Map(), queues: new Map(), backlog: new Map(),
    }
    const r = summarize(reading, { label: 'x', durationSeconds: 10 }).routes[0]
    expect(r).toMatchObject({ refreshReadsOwed: 50, dbCallsPerRequest: 10 })
  })
})
