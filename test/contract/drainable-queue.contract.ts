import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { ClaimedJob, DrainableQueue, RefreshJob } from '../../src/queue/refresh-queue.js'
import { queueKeys } from '../../src/queue/keys.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { until } from './refresh-queue.contract.js'

export interface DrainableDriver {
  make(env: RedisForTest, name: string): DrainableQueue
  /** Puts a payload that is not a valid job in the queue, as a foreign producer might. */
  injectInvalid(env: RedisForTest, name: string): Promise<void>
}

const job = (id: number, origin?: string): RefreshJob => ({ table: 'products', id, ...(origin ? { origin } : {}) })
const ids = (claims: ClaimedJob[]): number[] => claims.map((c) => Number(c.job?.id)).sort((a, b) => a - b)

/** What the drainer needs of a refresh-queue driver, on top of the refresh-queue contract. */
export function drainableQueueContract(driver: string, make: DrainableDriver): void {
  describe(`drainable queue contract: ${driver}`, () => {
    const env = redisForTest(`drainable-${driver}`)
    let queue: DrainableQueue
    let name = ''
    let n = 0

    beforeEach(() => {
      name = `drain${n++}x`
      queue = make.make(env, name)
    })
    afterEach(async () => {
      await queue.close()
    })
    afterAll(async () => {
      await env.cleanup()
    })

    it('dedupes: one waiting job per record, in a batch and across batches; pass jobs always go in', async () => {
      const first = await queue.add([
        { job: job(1, 'a'), dedupe: true },
        { job: job(1, 'b'), dedupe: true },
        { job: { table: 'products', id: '2' }, dedupe: true },
        { job: job(3), dedupe: false },
        { job: job(3), dedupe: false },
      ])
      expect(first).toEqual([true, false, true, true, true])
      expect(await queue.add([{ job: job(2), dedupe: true }, { job: job(4), dedupe: true }])).toEqual([false, true])
      expect((await queue.counts()).waiting).toBe(5)
    })

    it('stamps AddOptions.origin on the jobs without one when it says it does', async () => {
      if (queue.stampsOrigin !== true) return
      expect(await queue.add([{ job: job(1), dedupe: true }, { job: job(2, 'own'), dedupe: false }], { origin: 'products.list' })).toEqual([true, true])
      const claimed = await queue.claim(10, 30_000)
      expect(claimed.map((c) => c.job).sort((a, b) => Number(a?.id) - Number(b?.id))).toEqual([job(1, 'products.list'), job(2, 'own')])
      await queue.ack(claimed)
    })

    it('takes one more job for a record whose job is in flight, and runs it after', async () => {
      expect(await queue.add([{ job: job(1, 'a') }].map((e) => ({ ...e, dedupe: true })))).toEqual([true])
      const claimed = await queue.claim(10, 30_000)
      expect(ids(claimed)).toEqual([1])
      // The row may have changed after the claimed job read it: the record gets one follow-up
      // (list: queued at once; BullMQ: queued when the claimed job completes), never two.
      await queue.add([{ job: job(1, 'b'), dedupe: true }])
      expect(await queue.add([{ job: job(1, 'c'), dedupe: true }])).toEqual([false])
      await queue.ack(claimed)
      let next: ClaimedJob[] = []
      await until(async () => (next = await queue.claim(10, 30_000)).length > 0, 5000)
      // Which of the two jobs stands for the record is the driver's choice (BullMQ keeps the last).
      expect(next.map((c) => [c.job?.table, c.job?.id])).toEqual([['products', 1]])
      expect(await queue.depth()).toBe(1)
    })

    it('takes a new job for a record the legacy consumer is running', async () => {
      await queue.add([{ job: job(1, 'a'), dedupe: true }])
      let release: () => void = () => undefined
      const held = new Promise<void>((resolve) => (release = resolve))
      const seen: RefreshJob[] = []
      const consumer = queue.consume(async (j) => {
        seen.push(j)
        await held
      })
      try {
        await until(() => seen.length === 1)
        expect(await queue.add([{ job: job(1, 'b'), dedupe: true }])).toEqual([true])
        expect(await queue.add([{ job: job(1, 'c'), dedupe: true }])).toEqual([false])
      } finally {
        release()
      }
      await until(() => seen.length === 2)
      await consumer.close()
      expect(seen.map((j) => j.origin)).toEqual(['a', 'b'])
    })

    it('with a recent window, takes no job for a record accepted within it', async () => {
      expect(await queue.add([{ job: job(1), dedupe: true }], { recentMs: 400 })).toEqual([true])
      const claimed = await queue.claim(10, 30_000)
      await queue.ack(claimed)
      expect(await queue.add([{ job: job(1), dedupe: true }], { recentMs: 400 })).toEqual([false])
      await new Promise((resolve) => setTimeout(resolve, 450))
      expect(await queue.add([{ job: job(1), dedupe: true }], { recentMs: 400 })).toEqual([true])
    })

    it('claims up to max, oldest first, and never hands one job to two claims', async () => {
      await queue.enqueue(Array.from({ length: 30 }, (_, i) => job(i + 1)))
      const first = await queue.claim(5, 30_000)
      expect(first.map((c) => c.job?.id)).toEqual([1, 2, 3, 4, 5])
      const [a, b] = await Promise.all([queue.claim(20, 30_000), queue.claim(20, 30_000)])
      const all = [...ids(first), ...ids(a ?? []), ...ids(b ?? [])].sort((x, y) => x - y)
      expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i + 1))
      expect(await queue.counts()).toMatchObject({ waiting: 0, inFlight: 30 })
      expect(await queue.depth()).toBe(30)
    })

    it('ack removes claimed jobs once and counts each outcome once', async () => {
      await queue.enqueue([job(1), job(1), job(2)])
      const claimed = await queue.claim(10, 30_000)
      expect(await queue.ack(claimed, ['refreshed', 'superseded', 'refreshed'])).toBe(3)
      expect(await queue.ack(claimed, ['refreshed', 'superseded', 'refreshed'])).toBe(0)
      expect(await queue.totals()).toEqual({ refreshed: 2, superseded: 1 })
      expect(await queue.depth()).toBe(0)
    })

    it('puts a claim back when its visibility ends, and then ignores the stale ack', async () => {
      await queue.enqueue([job(1), job(2)])
      const lost = await queue.claim(10, 300)
      expect(lost).toHaveLength(2)
      let again: ClaimedJob[] = []
      await until(async () => (again = [...again, ...(await queue.claim(10, 30_000))]).length === 2, 15_000)
      expect(ids(again)).toEqual([1, 2])
      expect(await queue.ack(lost, ['refreshed', 'refreshed'])).toBe(0)
      expect(await queue.ack(again, ['refreshed', 'refreshed'])).toBe(2)
      expect(await queue.totals()).toEqual({ refreshed: 2, superseded: 0 })
      expect(await queue.depth()).toBe(0)
    })

    it('release puts claims back at once, first in line', async () => {
      await queue.enqueue([job(1), job(2), job(3)])
      const claimed = await queue.claim(2, 30_000)
      await queue.release(claimed)
      expect(await queue.counts()).toMatchObject({ waiting: 3, inFlight: 0 })
      expect(ids(await queue.claim(2, 30_000))).toEqual([1, 2])
    })

    it('counts failures per record, retries, then dead-letters with the reason', async () => {
      await queue.enqueue([job(7, 'r')])
      for (let attempt = 1; attempt <= 3; attempt++) {
        let claimed: ClaimedJob[] = []
        await until(async () => (claimed = await queue.claim(10, 30_000)).length > 0, 10_000)
        expect(ids(claimed)).toEqual([7])
        const dead = await queue.fail(claimed.map((claim) => ({ claim, reason: `boom ${attempt}` })), 3)
        expect(dead).toEqual(attempt === 3 ? claimed.map((c) => c.receipt) : [])
      }
      const letters = await queue.deadLetters(10)
      expect(letters).toHaveLength(1)
      expect(letters[0]).toMatchObject({ job: { table: 'products', id: 7, origin: 'r' }, reason: 'boom 3', failures: 3 })
      expect(letters[0]?.at).toBeGreaterThan(Date.now() - 60_000)
      expect(await queue.counts()).toEqual({ waiting: 0, inFlight: 0, deadLetters: 1 })
    })

    it('clears a record\'s failures once it is refreshed', async () => {
      await queue.enqueue([job(9)])
      const [claim] = await queue.claim(1, 30_000)
      await queue.fail([{ claim: claim as ClaimedJob, reason: 'x' }], 2)
      let again: ClaimedJob[] = []
      await until(async () => (again = await queue.claim(1, 30_000)).length === 1, 10_000)
      await queue.ack(again, ['refreshed'])
      await queue.enqueue([job(9)])
      const [third] = await queue.claim(1, 30_000)
      expect(await queue.fail([{ claim: third as ClaimedJob, reason: 'y' }], 2)).toEqual([])
    })

    it('hands out an invalid payload as such and dead-letters it at once', async () => {
      await make.injectInvalid(env, name)
      const [claim] = await queue.claim(5, 30_000)
      expect(claim?.job).toBeUndefined()
      expect(claim?.invalid).toMatch(/expected a refresh job|JSON/)
      await queue.deadLetter([{ claim: claim as ClaimedJob, reason: 'unparseable' }])
      const [letter] = await queue.deadLetters(5)
      expect(letter).toMatchObject({ reason: 'unparseable', job: undefined, raw: claim?.raw })
      expect(await queue.depth()).toBe(0)
    })

    it('records when it last accepted a job', async () => {
      const before = Date.now() - 1000
      await queue.enqueue([job(1)])
      const at = Number(await env.redis.hget(queueKeys(env.prefix, name).control, 'lastEnqueueAt'))
      expect(at).toBeGreaterThan(before)
    })

    it('retires only when empty and quiet, and keeps the dead letters', async () => {
      await queue.enqueue([job(1), job(2)])
      expect(await queue.retire(0)).toMatchObject({ retired: false, waiting: 2, inFlight: 0 })
      const claimed = await queue.claim(2, 30_000)
      expect(await queue.retire(0)).toMatchObject({ retired: false, waiting: 0, inFlight: 2 })
      await queue.ack(claimed.slice(0, 1))
      await queue.deadLetter(claimed.slice(1).map((claim) => ({ claim, reason: 'kept' })))
      const quiet = await queue.retire(60_000)
      expect(quiet).toMatchObject({ retired: false, waiting: 0, inFlight: 0 })
      expect(quiet.now - quiet.lastEnqueueAt).toBeLessThan(60_000)
      expect(await queue.retire(0)).toMatchObject({ retired: true })
      const left = await env.redis.keys(`${env.prefix}*{${name}}*`)
      expect(left).toEqual([queueKeys(env.prefix, name).dead])
    })
  })
}
