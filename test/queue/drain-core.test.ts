import { describe, expect, it } from 'vitest'
import { eventJson } from '../../src/cli/work/drain-progress.js'
import { halves, originsOf, settledJobs, sortBatch } from '../../src/queue/drain-batch.js'
import { isTransientDbError } from '../../src/queue/drain-options.js'
import { afterOutage, initialPressure, MIN_FACTOR, mysqlThreadsRunning, nextPressure, pressureReason } from '../../src/queue/pressure.js'
import { parseDeadLetter, toClaimed } from '../../src/queue/queue-common.js'
import { RateWindow, wantAt } from '../../src/queue/rate-limiter.js'
import { refreshBatch } from '../../src/queue/refresh-batch.js'

const bounds = { latencyMs: 100, threadsRunning: 10 }

describe('back-pressure (AIMD)', () => {
  it('halves the factor on pressure, at most once a second, down to the floor', () => {
    let s = initialPressure(0)
    s = nextPressure(s, { latencyMs: 150 }, bounds, 0)
    expect(s.factor).toBe(0.5)
    s = nextPressure(s, { latencyMs: 150 }, bounds, 500)
    expect(s.factor).toBe(0.5)
    s = nextPressure(s, { threadsRunning: 11 }, bounds, 1000)
    expect(s.factor).toBe(0.25)
    for (let t = 2000; t < 10_000; t += 1000) s = nextPressure(s, { latencyMs: 1000 }, bounds, t)
    expect(s.factor).toBe(MIN_FACTOR)
  })

  it('grows back by 0.05 per second without pressure, up to 1', () => {
    let s = { factor: 0.5, cutAt: 0, at: 0 }
    s = nextPressure(s, { latencyMs: 50, threadsRunning: 3 }, bounds, 2000)
    expect(s.factor).toBeCloseTo(0.6)
    s = nextPressure(s, {}, bounds, 60_000)
    expect(s.factor).toBe(1)
    expect(afterOutage(5).factor).toBe(MIN_FACTOR)
  })

  it('says which bound was passed', () => {
    expect(pressureReason({ latencyMs: 150 }, bounds)).toBe('batch query took 150 ms (bound 100 ms)')
    expect(pressureReason({ threadsRunning: 40 }, bounds)).toBe('Threads_running 40 (bound 10)')
    expect(pressureReason({ latencyMs: 50, threadsRunning: 10 }, bounds)).toBeUndefined()
  })

  it('reads Threads_running from SHOW GLOBAL STATUS', async () => {
    expect(await mysqlThreadsRunning({ query: async () => [[{ Variable_name: 'Threads_running', Value: '7' }], []] })()).toBe(7)
    await expect(mysqlThreadsRunning({ query: async () => [[], []] })()).rejects.toThrow(/Threads_running/)
  })
})

describe('rate helpers', () => {
  it('asks for a full batch at 200 jobs/s and above, else half a second of jobs', () => {
    expect(wantAt(3000, 100)).toBe(100)
    expect(wantAt(200, 100)).toBe(100)
    expect(wantAt(20, 100)).toBe(10)
    expect(wantAt(0.5, 100)).toBe(1)
  })

  it('measures jobs/s over a sliding window', () => {
    const w = new RateWindow(1000)
    w.add(0, 100)
    w.add(500, 100)
    expect(w.rate(200, 0)).toBe(1000)
    expect(w.rate(1000, 0)).toBe(200)
    expect(w.rate(1400, 0)).toBe(100)
    expect(w.rate(1600, 0)).toBe(0)
  })
})

const claim = (receipt: string, raw: string) => toClaimed(receipt, raw)

describe('batch sorting', () => {
  it('groups by table with each record once, the first job standing for it, and counts origins', () => {
    const batch = [
      claim('1', '{"table":"p","id":1,"origin":"a"}'),
      claim('2', '{"table":"p","id":"1","origin":"b"}'),
      claim('3', '{"table":"c","id":9}'),
      claim('4', 'nope'),
      claim('5', '{"table":"p","id":2,"origin":"a"}'),
    ]
    const sorted = sortBatch(batch)
    expect(sorted.invalid.map((c) => c.receipt)).toEqual(['4'])
    expect(sorted.tables.map((t) => [t.table, [...t.records.values()].map((r) => r.id)])).toEqual([['p', [1, 2]], ['c', [9]]])
    const products = [...(sorted.tables[0]?.records.values() ?? [])]
    expect(Object.fromEntries(originsOf(products))).toEqual({ a: 2, b: 1 })
    expect(Object.fromEntries(originsOf([...(sorted.tables[1]?.records.values() ?? [])]))).toEqual({ '(background)': 1 })
    expect(settledJobs(products).map((s) => [s.claim.receipt, s.outcome])).toEqual([['1', 'refreshed'], ['2', 'superseded'], ['5', 'refreshed']])
    expect(halves(products).map((h) => h.length)).toEqual([1, 1])
  })

  it('gives back the tables not reached once the database is gone, and rethrows what is not a database error', async () => {
    const batch = [claim('1', '{"table":"a","id":1}'), claim('2', '{"table":"b","id":1}')]
    const down = Object.assign(new Error('gone'), { fatal: true })
    const out = await refreshBatch({ refreshMany: async () => Promise.reject(down), charge: undefined, isTransient: isTransientDbError }, batch)
    expect(out.unavailable?.message).toMatch(/unreachable: gone/)
    expect(out.returned.map((c) => c.receipt)).toEqual(['1', '2'])
    const bug = new Error('bug')
    await expect(refreshBatch({ refreshMany: async () => undefined, charge: async () => Promise.reject(bug), isTransient: () => { throw bug } }, batch)).rejects.toBe(bug)
  })
})

describe('what counts as the database being out of reach', () => {
  it('mysql2 fatal errors and connection or lock codes; not a bad row', () => {
    expect(isTransientDbError(Object.assign(new Error(), { fatal: true }))).toBe(true)
    expect(isTransientDbError(Object.assign(new Error(), { code: 'ECONNREFUSED' }))).toBe(true)
    expect(isTransientDbError(Object.assign(new Error(), { code: 'ER_LOCK_DEADLOCK' }))).toBe(true)
    expect(isTransientDbError(Object.assign(new Error(), { code: 'ER_PARSE_ERROR' }))).toBe(false)
    expect(isTransientDbError(new TypeError('x'))).toBe(false)
    expect(isTransientDbError(null)).toBe(false)
  })
})

describe('dead-letter entries and CLI events', () => {
  it('reads entries written by any driver, and says so for one it cannot read', () => {
    expect(parseDeadLetter('{"raw":"{\\"table\\":\\"p\\",\\"id\\":1}","reason":"r","failures":2,"at":5}')).toEqual({ raw: '{"table":"p","id":1}', job: { table: 'p', id: 1 }, reason: 'r', failures: 2, at: 5 })
    expect(parseDeadLetter('{"reason":"r"}')).toMatchObject({ raw: '{"reason":"r"}', job: undefined, failures: 0 })
    expect(parseDeadLetter('garbage')).toMatchObject({ raw: 'garbage', reason: 'unreadable dead-letter entry' })
  })

  it('writes each event as one JSON line', () => {
    const fault = eventJson({ type: 'fault', fault: { kind: 'redis', error: Object.assign(new Error('down'), { code: 'ECONNREFUSED' }), retryInMs: 500 } })
    expect(JSON.parse(fault)).toEqual({ event: 'fault', kind: 'redis', message: 'down', code: 'ECONNREFUSED', retryInMs: 500 })
    const retired = eventJson({ type: 'retired', result: { retired: true, waiting: 0, inFlight: 0, lastEnqueueAt: 1, now: 2, deadLetters: 3 } })
    expect(JSON.parse(retired)).toMatchObject({ event: 'retired', deadLetters: 3 })
  })
})
