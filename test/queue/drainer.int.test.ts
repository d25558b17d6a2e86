import { afterAll, describe, expect, it } from 'vitest'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { createDrainer, type DrainFault, type DrainProgress } from '../../src/queue/drainer.js'
import { bullmqPrefix, listQueueKeys } from '../../src/queue/keys.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import type { DrainableQueue, RefreshJob } from '../../src/queue/refresh-queue.js'
import { Queue } from 'bullmq'
import { redisForTest } from '../helpers/redis.js'
import { until } from '../contract/refresh-queue.contract.js'

const env = redisForTest('drainer')
afterAll(() => env.cleanup())

interface Driver {
  make(name: string): DrainableQueue
  injectInvalid(name: string): Promise<void>
}

const drivers: Array<[string, Driver]> = [
  ['list', {
    make: (name) => new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name }),
    injectInvalid: async (name) => void (await env.redis.lpush(listQueueKeys(env.prefix, name).waiting, 'not json')),
  }],
  ['bullmq', {
    make: (name) => new BullmqRefreshQueue({ redis: env.redis, prefix: env.prefix, name }),
    injectInvalid: async (name) => {
      const foreign = new Queue(name, { connection: env.connect(), prefix: bullmqPrefix(env.prefix, name) })
      await foreign.add('x', { nope: true })
      await foreign.close()
    },
  }],
]

/** A refreshMany that records its calls. */
function recorder(fail: (table: string, ids: Array<string | number>, call: number) => unknown = () => undefined) {
  const calls: Array<[string, Array<string | number>]> = []
  const refreshMany = async (table: string, ids: Array<string | number>): Promise<void> => {
    calls.push([table, ids])
    const error = fail(table, ids, calls.length)
    if (error) throw error
  }
  return { calls, refreshMany }
}

const jobs = (ids: number[], origin = 'products.list', table = 'products'): RefreshJob[] => ids.map((id) => ({ table, id, origin }))

async function withQueue<T>(driver: Driver, name: string, work: (queue: DrainableQueue) => Promise<T>): Promise<T> {
  const queue = driver.make(name)
  try {
    return await work(queue)
  } finally {
    await queue.close()
  }
}

describe.each(drivers)('drainer on the %s driver', (driverName, driver) => {
  it('drains a backlog with duplicates in batches, one refreshMany per table per batch, and stops when empty', async () => {
    await withQueue(driver, `d1${driverName}`, async (queue) => {
      const ids = Array.from({ length: 600 }, (_, i) => (i % 250) + 1)
      await queue.enqueue([...jobs(ids), ...jobs([1, 2, 3], 'products.get', 'categories')])
      await driver.injectInvalid(`d1${driverName}`)
      const { calls, refreshMany } = recorder()
      const charged: Array<Record<string, number>> = []
      const drainer = createDrainer({
        queue, redis: env.redis, refreshMany, rate: 100_000, batchSize: 100, untilDepth: 0, progressEveryMs: 50,
        charge: async (origins, work) => {
          charged.push(Object.fromEntries(origins))
          return work()
        },
      })
      const progress: DrainProgress[] = []
      drainer.on('progress', (p) => progress.push(p))
      const result = await drainer.start()
      expect(result.reason).toBe('empty')
      expect(result.totals.refreshed + result.totals.superseded).toBe(603)
      expect(result.totals.deadLettered).toBe(1)
      expect(await queue.depth()).toBe(0)
      const refreshed = new Set(calls.filter(([t]) => t === 'products').flatMap(([, i]) => i.map(Number)))
      expect(refreshed.size).toBe(250)
      for (const [, batchIds] of calls) expect(new Set(batchIds.map(String)).size).toBe(batchIds.length)
      expect(calls.length).toBe(result.totals.queries)
      expect(calls.length).toBeLessThanOrEqual(result.totals.batches * 2)
      expect(charged.reduce((n, c) => n + (c['products.list'] ?? 0) + (c['products.get'] ?? 0), 0)).toBe(603)
      expect(progress.at(-1)).toMatchObject({ depth: 0, etaSeconds: 0 })
      expect(await queue.totals()).toEqual({ refreshed: result.totals.refreshed, superseded: result.totals.superseded })
      const [letter] = await queue.deadLetters(5)
      expect(letter?.reason).toMatch(/not a refresh job/)
    })
  })

  it('isolates a poison record by halving the batch and dead-letters it after maxFailures, never blocking the rest', async () => {
    await withQueue(driver, `d2${driverName}`, async (queue) => {
      await queue.enqueue(jobs(Array.from({ length: 64 }, (_, i) => i + 1)))
      const { calls, refreshMany } = recorder((_, ids) => (ids.map(Number).includes(13) ? new Error('row 13 breaks the mapper') : undefined))
      const drainer = createDrainer({ queue, redis: env.redis, refreshMany, rate: 100_000, batchSize: 64, maxFailures: 2, untilDepth: 0, progressEveryMs: 50 })
      const result = await drainer.start()
      expect(result.totals).toMatchObject({ refreshed: 63, deadLettered: 1, retried: 1 })
      const [letter] = await queue.deadLetters(5)
      expect(letter).toMatchObject({ job: { id: 13 }, failures: 2, reason: 'refreshMany(products) failed: row 13 breaks the mapper' })
      // Two rounds for 13 (its failures), each isolating it in log2(64) + 1 calls at most.
      expect(calls.length).toBeLessThanOrEqual(2 * (2 * 6 + 1) + 1)
    })
  })

  it('gives the batch back and backs off while the database is unreachable, then goes on by itself', async () => {
    await withQueue(driver, `d3${driverName}`, async (queue) => {
      await queue.enqueue(jobs([1, 2, 3]))
      const down = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      const { refreshMany } = recorder((_, __, call) => (call <= 2 ? down : undefined))
      const drainer = createDrainer({ queue, redis: env.redis, refreshMany, rate: 100_000, untilDepth: 0, progressEveryMs: 50 })
      const faults: DrainFault[] = []
      drainer.on('fault', (f) => faults.push(f))
      const result = await drainer.start()
      expect(faults.map((f) => f.kind)).toEqual(['mysql', 'mysql'])
      expect(faults[1]?.retryInMs).toBeGreaterThan(faults[0]?.retryInMs ?? Infinity)
      expect(result.totals).toMatchObject({ refreshed: 3, deadLettered: 0, retried: 0 })
      expect(await queue.deadLetters(5)).toEqual([])
    })
  })
})

describe('drainer control', () => {
  it('pauses, resumes, changes rate and stops through the control plane, and reports progress with an ETA', async () => {
    await withQueue(drivers[0]![1], 'd4', async (queue) => {
      await queue.enqueue(jobs(Array.from({ length: 5000 }, (_, i) => i + 1)))
      const { refreshMany } = recorder()
      const drainer = createDrainer({ queue, redis: env.redis, refreshMany, rate: 400, progressEveryMs: 100 })
      const progress: DrainProgress[] = []
      drainer.on('progress', (p) => progress.push(p))
      const done = drainer.start()
      await until(() => progress.some((p) => p.totals.refreshed > 0 && p.rate > 0), 10_000)
      const last = progress.at(-1)!
      expect(last.etaSeconds).toBeGreaterThan(0)
      expect(last.targetRate).toBe(400)
      await drainer.pause()
      await until(() => progress.at(-1)?.state === 'paused', 5000)
      const pausedAt = progress.at(-1)!.totals.refreshed
      await new Promise((resolve) => setTimeout(resolve, 400))
      expect(progress.at(-1)!.totals.refreshed).toBe(pausedAt)
      await drainer.resume()
      await drainer.setRate({ from: 1000, to: 2000, overMs: 60_000 })
      await until(() => (progress.at(-1)?.targetRate ?? 0) >= 1000, 5000)
      expect((await drainer.status()).settings).toMatchObject({ state: 'running', schedule: { from: 1000 } })
      await drainer.control.setDrain({ state: 'stopped' })
      expect((await done).reason).toBe('stopped')
      expect((await drainer.control.status()).drainers).toBe(0)
    })
  })

  it('holds one rate across drainers: two drainers at 300 jobs/s do about 300 jobs/s together', async () => {
    await withQueue(drivers[0]![1], 'd5', async (queue) => {
      await queue.enqueue(jobs(Array.from({ length: 20_000 }, (_, i) => i + 1)))
      const { refreshMany } = recorder()
      const a = createDrainer({ queue, redis: env.redis, refreshMany, rate: 300 })
      const b = createDrainer({ queue, redis: env.redis, refreshMany, rate: 300 })
      void a.start()
      void b.start()
      await new Promise((resolve) => setTimeout(resolve, 500))
      const before = (await queue.totals()).refreshed
      const t0 = Date.now()
      await new Promise((resolve) => setTimeout(resolve, 3000))
      const rate = (((await queue.totals()).refreshed - before) * 1000) / (Date.now() - t0)
      await Promise.all([a.stop(), b.stop()])
      expect(rate).toBeGreaterThan(300 * 0.75)
      expect(rate).toBeLessThan(300 * 1.25)
    })
  })

  it('backs the rate off when the batch query is slow or Threads_running is high', async () => {
    await withQueue(drivers[0]![1], 'd6', async (queue) => {
      await queue.enqueue(jobs(Array.from({ length: 2000 }, (_, i) => i + 1)))
      const slow = async (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 30))
      const drainer = createDrainer({
        queue, redis: env.redis, refreshMany: slow, rate: 10_000, batchSize: 10, progressEveryMs: 50,
        pressure: { latencyMs: 10, threadsRunning: 5, probe: async () => 50, probeEveryMs: 50 },
      })
      const progress: DrainProgress[] = []
      drainer.on('progress', (p) => progress.push(p))
      void drainer.start()
      await until(() => (progress.at(-1)?.factor ?? 1) < 0.3, 10_000)
      await drainer.stop()
      expect(progress.at(-1)?.pressure).toMatch(/batch query took|Threads_running/)
    })
  })

  it('rejects bad options at once, naming the option', () => {
    const queue = drivers[0]![1].make('d7')
    const base = { queue, redis: env.redis, refreshMany: async () => undefined }
    const code = { code: 'CUTOVER_ERR_DRAIN_OPTIONS_INVALID' }
    expect(() => createDrainer({ ...base, rate: 0 })).toThrow(expect.objectContaining({ ...code, message: expect.stringMatching(/option rate/) }))
    expect(() => createDrainer({ ...base, batchSize: 0 })).toThrow(/batchSize/)
    expect(() => createDrainer({ ...base, visibilityMs: 1.5 })).toThrow(/visibilityMs/)
    expect(() => createDrainer({ ...base, schedule: { from: 1, to: 0, overMs: 1 } })).toThrow(/schedule\.to/)
    expect(() => createDrainer({ ...base, maxFailures: 0 })).toThrow(/maxFailures/)
    expect(() => createDrainer({ ...base, untilDepth: -1 })).toThrow(/untilDepth/)
    expect(() => createDrainer({ ...base, pressure: { latency: 5 } as never })).toThrow(/pressure/)
    expect(() => createDrainer({ ...base, pressure: { probe: 5 } as never })).toThrow(/pressure\.probe/)
    expect(() => createDrainer({ ...base, batch: 5 } as never)).toThrow(/among/)
    expect(() => createDrainer({ ...base, queue: {} as never })).toThrow(/queue/)
    expect(() => createDrainer({ ...base, redis: {} as never })).toThrow(/redis/)
    expect(() => createDrainer({ ...base, refreshMany: undefined as never })).toThrow(/refreshMany/)
    expect(() => createDrainer(null as never)).toThrow(/options/)
  })
})
