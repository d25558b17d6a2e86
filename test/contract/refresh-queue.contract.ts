import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { RefreshJob, RefreshQueue } from '../../src/queue/refresh-queue.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

export type QueueFactory = (env: RedisForTest, name: string) => RefreshQueue

/** Polls `check` until it returns true (no fixed sleeps). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** The behaviour every refresh-queue driver must have. */
export function refreshQueueContract(driver: string, make: QueueFactory): void {
  describe(`refresh queue contract: ${driver}`, () => {
    const env = redisForTest(`queue-${driver}`)
    let queue: RefreshQueue
    let n = 0

    beforeEach(() => {
      queue = make(env, `contract${n++}x`)
    })
    afterEach(async () => {
      await queue.close()
    })
    afterAll(async () => {
      await env.cleanup()
    })

    it('names its driver', () => {
      expect(queue.driver).toBe(driver)
    })

    it('delivers every job once, oldest first, with table, id and origin intact', async () => {
      const jobs: RefreshJob[] = [
        { table: 'products', id: 1, origin: 'products.list' },
        { table: 'products', id: '2' },
        { table: 'categories', id: 3, origin: 'GET /x|y' },
      ]
      await queue.enqueue(jobs)
      const seen: RefreshJob[] = []
      const consumer = queue.consume(async (job) => {
        seen.push(job)
      })
      await until(() => seen.length === 3)
      await consumer.close()
      expect(seen).toEqual(jobs)
    })

    it('stamps options.origin on the jobs without one when it says it does, leaving the caller\'s jobs alone', async () => {
      // A driver need not stamp (wrappers then copy each job): one that says so must.
      if (queue.stampsOrigin !== true) return
      const jobs: RefreshJob[] = [{ table: 'products', id: 1 }, { table: 'products', id: '2', origin: 'own' }, { table: 'c', id: 3, origin: undefined } as unknown as RefreshJob]
      await queue.enqueue(jobs, { origin: 'GET /x "y"|\u00e9' })
      await queue.enqueue([{ table: 'products', id: 4 }], { origin: undefined })
      const seen: RefreshJob[] = []
      const consumer = queue.consume(async (job) => {
        seen.push(job)
      })
      await until(() => seen.length === 4)
      await consumer.close()
      expect(seen).toEqual([
        { table: 'products', id: 1, origin: 'GET /x "y"|\u00e9' },
        { table: 'products', id: '2', origin: 'own' },
        { table: 'c', id: 3, origin: 'GET /x "y"|\u00e9' },
        { table: 'products', id: 4 },
      ])
      expect(jobs[0]).toEqual({ table: 'products', id: 1 })
      await expect(queue.enqueue([{ table: 'products', id: 5 }], { origin: 7 as unknown as string })).rejects.toMatchObject({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' })
      await expect(queue.enqueue([], { origin: 7 as unknown as string })).rejects.toMatchObject({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' })
      expect(await queue.depth()).toBe(0)
    })

    it('counts waiting jobs in depth() and reaches 0 once they are done', async () => {
      expect(await queue.depth()).toBe(0)
      await queue.enqueue(Array.from({ length: 25 }, (_, i) => ({ table: 'products', id: i + 1 })))
      expect(await queue.depth()).toBe(25)
      let done = 0
      const consumer = queue.consume(async () => {
        done++
      }, { concurrency: 4 })
      await until(() => done === 25)
      await until(async () => (await queue.depth()) === 0)
      await consumer.close()
    })

    it('runs up to `concurrency` jobs at once and each job exactly once', async () => {
      const ids = Array.from({ length: 40 }, (_, i) => i + 1)
      await queue.enqueue(ids.map((id) => ({ table: 'products', id })))
      const seen: number[] = []
      let running = 0
      let peak = 0
      const consumer = queue.consume(async (job) => {
        running++
        peak = Math.max(peak, running)
        await new Promise((resolve) => setTimeout(resolve, 5))
        seen.push(Number(job.id))
        running--
      }, { concurrency: 5 })
      await until(() => seen.length === 40)
      await consumer.close()
      expect([...seen].sort((a, b) => a - b)).toEqual(ids)
      expect(peak).toBeGreaterThan(1)
      expect(peak).toBeLessThanOrEqual(5)
    })

    it('reports a failing job to onError and goes on with the next', async () => {
      await queue.enqueue([{ table: 'products', id: 1 }, { table: 'products', id: 2 }])
      const failed: unknown[] = []
      const done: unknown[] = []
      const consumer = queue.consume(
        async (job) => {
          if (job.id === 1) throw new Error('boom')
          done.push(job.id)
        },
        { onError: (err, job) => failed.push([(err as Error).message, job.id]) },
      )
      await until(() => done.length === 1 && failed.length === 1)
      await consumer.close()
      expect(failed).toEqual([['boom', 1]])
      expect(done).toEqual([2])
    })

    it('stops taking jobs once its consumer is closed', async () => {
      let done = 0
      const consumer = queue.consume(async () => {
        done++
      })
      await consumer.close()
      await queue.enqueue([{ table: 'products', id: 9 }])
      expect(await queue.depth()).toBe(1)
      expect(done).toBe(0)
    })

    it('accepts an empty batch and rejects a malformed job with a coded error', async () => {
      await queue.enqueue([])
      expect(await queue.depth()).toBe(0)
      await expect(queue.enqueue([{ table: '', id: 1 }])).rejects.toMatchObject({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' })
      await expect(queue.enqueue([{ table: 'products' } as unknown as RefreshJob])).rejects.toMatchObject({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' })
      expect(await queue.depth()).toBe(0)
    })

    it('rejects a bad concurrency with a coded error', () => {
      expect(() => queue.consume(async () => undefined, { concurrency: 0 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_QUEUE_OPTIONS_INVALID' }))
    })

    it('keeps its keys under the prefix', async () => {
      await queue.enqueue([{ table: 'products', id: 1 }])
      const keys = await env.redis.keys(`*contract${n - 1}x*`)
      expect(keys.length).toBeGreaterThan(0)
      for (const key of keys) expect(key.startsWith(`${env.prefix}:v1:`)).toBe(true)
    })
  })
}
