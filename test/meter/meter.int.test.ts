import { AsyncLocalStorage } from 'node:async_hooks'
import { Registry } from 'prom-client'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { currentMeterContext, runOutsideMeterContext, runWithMeterContext, type MeterCounts } from '../../src/meter/context.js'
import { Meter } from '../../src/meter/meter.js'
import { latencyBucket } from '../../src/meter/histogram.js'
import { readMeter } from '../../src/meter/read.js'
import { redisForTest } from '../helpers/redis.js'

const env = redisForTest('meter')
afterAll(() => env.cleanup())

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0)

function meterAt(clock: { now: number }, extra: Partial<ConstructorParameters<typeof Meter>[0]> = {}): Meter {
  return new Meter({ redis: env.redis, prefix: env.prefix, bucketSeconds: 60, flushIntervalMs: 0, now: () => clock.now, ...extra })
}

describe('Meter', () => {
  it('charges DB calls to the request route, or as refresh reads inside a job', async () => {
    const clock = { now: T0 }
    const meter = meterAt(clock)
    runWithMeterContext({ route: 'a', shadow: false, source: 'request' }, () => {
      meter.countQuery()
      meter.countQuery()
      meter.countRedis(3)
    })
    meter.countEnqueued('a', 2)
    await meter.runJob('a', async () => meter.countQuery())
    meter.countQuery() // outside any request
    await meter.close()
    const reading = await readMeter({ redis: env.redis, prefix: env.prefix, from: T0, to: T0 + 1000 })
    expect(reading.user.get('a')?.counters).toEqual({ queries: 2, redis: 3, jobs: 2, refreshReads: 1, jobsDone: 1 })
    expect(reading.user.get('(background)')?.counters).toEqual({ queries: 1 })
    expect(reading.backlog.get('a')).toBe(1)
  })

  it('adds each call to the counts of the context it was made in, and only to those', async () => {
    const clock = { now: T0 + 18_000_000 }
    const prefix = `${env.prefix}-counts`
    const meter = meterAt(clock, { prefix })
    const outer: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    const inner: MeterCounts = { dbCalls: 0, redisCalls: 0, refreshJobs: 0 }
    await runWithMeterContext({ route: 'a', shadow: false, source: 'request', counts: outer }, async () => {
      meter.countQuery()
      meter.countRedis(2)
      await Promise.resolve()
      meter.countQuery()
      // A render started from inside the request has its own context and counts.
      runWithMeterContext({ route: 'a', shadow: true, source: 'request', counts: inner }, () => {
        meter.countQuery()
        meter.countRedis(5)
      })
      // A job run on the request's behalf counts as refresh reads, not as the request's own calls.
      await meter.runJob('a', async () => meter.countQuery())
      // Work taken out of the request's context is charged to the background.
      runOutsideMeterContext(() => meter.countRedis(7))
      meter.countRedis(1)
    })
    expect(outer).toEqual({ dbCalls: 2, redisCalls: 3, refreshJobs: 0 })
    expect(inner).toEqual({ dbCalls: 1, redisCalls: 5, refreshJobs: 0 })
    await meter.close()
    const reading = await readMeter({ redis: env.redis, prefix, from: clock.now, to: clock.now })
    expect(reading.user.get('a')?.counters).toMatchObject({ queries: 2, redis: 3, refreshReads: 1 })
    expect(reading.shadow.get('a')?.counters).toMatchObject({ queries: 1, redis: 5 })
    expect(reading.user.get('(background)')?.counters).toEqual({ redis: 7 })
  })

  it('leaves AsyncLocalStorage alone when there is no meter context to leave (no promise hooks switched on for nothing)', () => {
    const run = vi.spyOn(AsyncLocalStorage.prototype, 'run')
    try {
      expect(runOutsideMeterContext(() => currentMeterContext())).toBeUndefined()
      expect(run).not.toHaveBeenCalled()
      runWithMeterContext({ route: 'a', shadow: false, source: 'request' }, () => {
        expect(runOutsideMeterContext(() => currentMeterContext())).toBeUndefined()
      })
      // Once for entering the context, once for leaving it.
      expect(run).toHaveBeenCalledTimes(2)
    } finally {
      run.mockRestore()
    }
  })

  it('keeps time buckets apart so a window picks only its own', async () => {
    const clock = { now: T0 + 3_600_000 }
    const meter = meterAt(clock, { prefix: `${env.prefix}-win` })
    const request = (route: string): void => meter.recordRequest({ route, shadow: false, durationMs: 10, statusCode: 200 })
    request('r')
    clock.now += 60_000
    request('r')
    request('r')
    await meter.flush()
    clock.now += 60_000
    request('r')
    await meter.close()
    const read = (from: number, to: number) => readMeter({ redis: env.redis, prefix: `${env.prefix}-win`, from, to })
    const base = T0 + 3_600_000
    expect((await read(base, base + 59_000)).user.get('r')?.counters.requests).toBe(1)
    expect((await read(base + 60_000, base + 119_000)).user.get('r')?.counters.requests).toBe(2)
    const all = await read(base, base + 180_000)
    expect(all.user.get('r')?.counters.requests).toBe(4)
    expect(all.dataFrom).toBe(base)
    expect(all.dataTo).toBe(base + 180_000)
  })

  it('adds up counts flushed by several meters (processes) into one bucket', async () => {
    const clock = { now: T0 + 7_200_000 }
    const prefix = `${env.prefix}-multi`
    const meters = [meterAt(clock, { prefix }), meterAt(clock, { prefix })]
    for (const meter of meters) {
      runWithMeterContext({ route: 'x', shadow: false, source: 'request' }, () => meter.countQuery())
      meter.recordQueueDepth('refresh', meter === meters[0] ? 40 : 7)
    }
    await Promise.all(meters.map((m) => m.close()))
    const reading = await readMeter({ redis: env.redis, prefix, from: clock.now, to: clock.now })
    expect(reading.user.get('x')?.counters.queries).toBe(2)
    expect(reading.queues.get('refresh')?.depthMax).toBe(40)
  })

  it('counts shadow requests apart from user requests and reads page-cache hits from Cache-Status', async () => {
    const clock = { now: T0 + 10_800_000 }
    const prefix = `${env.prefix}-shadow`
    const meter = meterAt(clock, { prefix })
    meter.recordRequest({ route: 'p', shadow: false, durationMs: 1, statusCode: 200, cacheStatus: 'cutover; hit; ttl=20' })
    meter.recordRequest({ route: 'p', shadow: false, durationMs: 1, statusCode: 200, cacheStatus: 'cutover; fwd=miss; stored' })
    meter.recordRequest({ route: 'p', shadow: false, durationMs: 1, statusCode: 503 })
    meter.recordRequest({ route: 'p', shadow: true, durationMs: 1, statusCode: 200 })
    await meter.close()
    const reading = await readMeter({ redis: env.redis, prefix, from: clock.now, to: clock.now })
    expect(reading.user.get('p')?.counters).toMatchObject({ requests: 3, errors: 1, cacheLookups: 2, cacheHits: 1 })
    expect(reading.shadow.get('p')?.counters.requests).toBe(1)
  })

  it('writes exactly these fields for requests of two routes, both scopes and both paths (the per-route field tables)', async () => {
    const clock = { now: T0 + 12_600_000 }
    const prefix = `${env.prefix}-fields`
    const meter = meterAt(clock, { prefix })
    for (let i = 0; i < 2; i++) {
      meter.recordRequest({ route: 'a|b', shadow: false, durationMs: 0.5, statusCode: 200, cacheStatus: 'cutover; hit', path: 'page', dbCalls: 0, refreshJobs: 0 })
      meter.recordRequest({ route: 'a|b', shadow: false, durationMs: 30, statusCode: 502, path: 'legacy', dbCalls: 100, refreshJobs: 100 })
      meter.recordRequest({ route: 'a|b', shadow: true, durationMs: 0.5, statusCode: 200 })
      meter.recordRequest({ route: 'c', shadow: false, durationMs: 0.5, statusCode: 200 })
    }
    await meter.close()
    const fields = await env.redis.hgetall(meter.keys.bucket(60, Math.floor(clock.now / 1000)))
    const fast = `lat.${latencyBucket(0.5)}`
    const slow = `lat.${latencyBucket(30)}`
    expect(fields).toEqual({
      'u|a|b|requests': '4',
      'u|a|b|errors': '2',
      'u|a|b|latencySumUs': String(2 * (500 + 30_000)),
      [`u|a|b|${fast}`]: '2',
      [`u|a|b|${slow}`]: '2',
      'u|a|b|cacheLookups': '2',
      'u|a|b|cacheHits': '2',
      'u|a|b|path.page.requests': '2',
      'u|a|b|path.page.queries': '0',
      'u|a|b|path.page.jobs': '0',
      [`u|a|b|path.page.${fast}`]: '2',
      'u|a|b|path.legacy.requests': '2',
      'u|a|b|path.legacy.errors': '2',
      'u|a|b|path.legacy.queries': '200',
      'u|a|b|path.legacy.jobs': '200',
      [`u|a|b|path.legacy.${slow}`]: '2',
      's|a|b|requests': '2',
      's|a|b|latencySumUs': '1000',
      [`s|a|b|${fast}`]: '2',
      'u|c|requests': '2',
      'u|c|latencySumUs': '1000',
      [`u|c|${fast}`]: '2',
    })
  })

  it('keeps counts it could not send and sends them on the next flush', async () => {
    const clock = { now: T0 + 14_400_000 }
    const prefix = `${env.prefix}-retry`
    const broken = env.connect()
    const meter = new Meter({ redis: broken, prefix, flushIntervalMs: 0, now: () => clock.now })
    runWithMeterContext({ route: 'k', shadow: false, source: 'request' }, () => meter.countQuery())
    broken.disconnect()
    await expect(meter.flush()).rejects.toThrow()
    broken.connect()
    await meter.close()
    const reading = await readMeter({ redis: env.redis, prefix, from: clock.now, to: clock.now })
    expect(reading.user.get('k')?.counters.queries).toBe(1)
  })

  it('exports its counts to a prom-client registry', async () => {
    const registry = new Registry()
    const meter = meterAt({ now: Date.now() }, { registry, prefix: `${env.prefix}-prom` })
    runWithMeterContext({ route: 'products.list', shadow: false, source: 'request' }, () => meter.countQuery())
    await meter.runJob('products.list', async () => meter.countQuery())
    await meter.flush()
    runWithMeterContext({ route: 'products.list', shadow: false, source: 'request' }, () => meter.countQuery())
    meter.recordRequest({ route: 'products.list', shadow: false, durationMs: 12, statusCode: 200 })
    const text = await registry.metrics()
    expect(text).toContain('cutover_meter_db_calls_total{route="products.list",traffic="user",kind="inline"} 2')
    expect(text).toContain('cutover_meter_db_calls_total{route="products.list",traffic="user",kind="refresh"} 1')
    expect(text).toContain('cutover_meter_requests_total{route="products.list",traffic="user"} 1')
    expect(text).toMatch(/cutover_meter_request_duration_seconds_count\{route="products.list",traffic="user"\} 1/)
    await meter.close()
  })

  it('rejects bad options with coded errors', () => {
    const code = { code: 'CUTOVER_ERR_METER_OPTIONS_INVALID' }
    expect(() => new Meter({} as never)).toThrow(expect.objectContaining(code))
    expect(() => new Meter({ redis: env.redis, bucketSeconds: 0 })).toThrow(/bucketSeconds/)
    expect(() => new Meter({ redis: env.redis, prefix: '' })).toThrow(/prefix/)
    expect(() => new Meter({ redis: env.redis, flushIntervalMs: -1 })).toThrow(/flushIntervalMs/)
  })

  it('rejects a reversed report window', async () => {
    await expect(readMeter({ redis: env.redis, from: 10, to: 5 })).rejects.toMatchObject({ code: 'CUTOVER_ERR_REPORT_WINDOW_INVALID' })
  })
})
