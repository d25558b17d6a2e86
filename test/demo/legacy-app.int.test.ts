import type { Pool } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoData } from '../../src/demo/schema.js'
import { startDemoStack, type DemoStack } from '../../src/demo/stack.js'
import { readMeter } from '../../src/meter/read.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'
import { until } from '../contract/refresh-queue.contract.js'

const env = redisForTest('legacy')
let db: MysqlForTest

beforeAll(async () => {
  db = await mysqlForTest('legacy')
  expect(await seedDemoData(db.pool, 1000)).toBe(1000)
})
afterAll(async () => {
  await db?.cleanup()
  await env.cleanup()
})

/** Expects the route's counters to reach `expected` (jobs are enqueued after the response, so it polls). */
async function expectSettled(stack: DemoStack, from: number, route: string, expected: Record<string, number>): Promise<void> {
  let last: Record<string, number> = {}
  await until(async () => {
    last = await routeCounters(stack, from, route)
    return Object.entries(expected).every(([k, v]) => last[k] === v)
  }, 5000).catch(() => undefined)
  expect(last).toMatchObject(expected)
}

async function routeCounters(stack: DemoStack, from: number, route: string): Promise<Record<string, number>> {
  await stack.meter.flush()
  const reading = await readMeter({ redis: env.redis, prefix: stack.meter.prefix, from, to: Date.now() })
  return reading.user.get(route)?.counters ?? {}
}

describe('legacy demo app', () => {
  it('seeds idempotently', async () => {
    expect(await seedDemoData(db.pool as Pool, 1000)).toBe(1000)
  })

  for (const driver of ['list', 'bullmq'] as const) {
    it(`a page of 100 enqueues 100 jobs whose 100 worker reads are charged to the list route (${driver})`, async () => {
      const prefix = `${env.prefix}-${driver}`
      const stack = await startDemoStack({ pool: db.pool, redis: env.redis, prefix, queue: driver, worker: false })
      try {
        const from = Date.now()
        const res = await stack.app.inject('/api/products?page=2&sort=price')
        expect(res.statusCode).toBe(200)
        const body = res.json() as { items: Array<{ id: number; priceCents: number }>; total: number; page: number }
        expect(body.items).toHaveLength(100)
        expect(body.total).toBe(1000)
        expect(body.page).toBe(2)
        const prices = body.items.map((p) => p.priceCents)
        expect(prices).toEqual([...prices].sort((a, b) => a - b))
        await until(async () => (await stack.queue.depth()) === 100)
        await expectSettled(stack, from, 'products.list', { requests: 1, jobs: 100, queries: 2 })

        // The worker, started now, does one read per job, charged to the list route.
        const { startLegacyWorker } = await import('../../src/demo/worker.js')
        const { meterPool } = await import('../../src/meter/wrap-pool.js')
        const worker = startLegacyWorker({ queue: stack.queue, pool: meterPool(db.pool, stack.meter), redis: env.redis, prefix, concurrency: 8 })
        await until(async () => (await stack.queue.depth()) === 0)
        await until(async () => (await routeCounters(stack, from, 'products.list')).jobsDone === 100)
        await worker.close()
        await expectSettled(stack, from, 'products.list', { requests: 1, jobs: 100, refreshReads: 100, queries: 2 })

        // The same page again comes from the object cache: no inline query, still 100 jobs.
        expect((await stack.app.inject('/api/products?page=2&sort=price')).statusCode).toBe(200)
        await expectSettled(stack, from, 'products.list', { requests: 2, jobs: 200, queries: 2 })
      } finally {
        await stack.close()
      }
    })
  }

  it('serves single products and category pages, enqueues after writes, and validates input', async () => {
    const prefix = `${env.prefix}-routes`
    const stack = await startDemoStack({ pool: db.pool, redis: env.redis, prefix, queue: 'list', worker: false })
    try {
      const from = Date.now()
      const one = await stack.app.inject('/api/products/7')
      expect(one.statusCode).toBe(200)
      expect(one.json()).toMatchObject({ id: 7, categoryId: 8 })
      const cat = await stack.app.inject('/api/categories/3/products?page=1')
      expect(cat.statusCode).toBe(200)
      const items = (cat.json() as { items: Array<{ categoryId: number }> }).items
      expect(items).toHaveLength(50)
      expect(items.every((p) => p.categoryId === 3)).toBe(true)
      expect((await stack.app.inject({ method: 'PUT', url: '/api/products/7', payload: { priceCents: 1234 } })).statusCode).toBe(204)
      await until(async () => (await stack.queue.depth()) === 1 + 50 + 1)
      // The legacy write leaves the object key stale until the refresh job runs.
      expect((await stack.app.inject('/api/products/7')).json()).toMatchObject({ priceCents: expect.not.toBeOneOf([1234]) })
      expect((await stack.app.inject('/api/products/99999')).statusCode).toBe(404)
      expect((await stack.app.inject('/api/products?sort=bogus')).statusCode).toBe(400)
      expect((await stack.app.inject({ method: 'PUT', url: '/api/products/7', payload: { extra: 1 } })).statusCode).toBe(400)
      await expectSettled(stack, from, 'products.get', { requests: 3, jobs: 2 })
      await expectSettled(stack, from, 'PUT /api/products/:id', { requests: 2, jobs: 1 })
    } finally {
      await stack.close()
    }
  })
})

describe('demo app with the page cache on', () => {
  it('serves the read routes from the page cache, enqueues no refresh jobs, and a write drops the pages showing it', async () => {
    const prefix = `${env.prefix}-paged`
    const stack = await startDemoStack({ pool: db.pool, redis: env.redis, prefix, queue: 'list', pageCache: true, worker: false })
    try {
      const from = Date.now()
      const first = await stack.app.inject('/api/products?page=1')
      expect(first.statusCode).toBe(200)
      expect(first.headers['cache-status']).toMatch(/fwd=miss/)
      const second = await stack.app.inject('/api/products?page=1')
      expect(second.headers['cache-status']).toMatch(/hit/)
      expect(second.body).toBe(first.body)
      const product = (first.json() as { items: Array<{ id: number; priceCents: number }> }).items[4] as { id: number; priceCents: number }

      expect((await stack.app.inject({ method: 'PUT', url: `/api/products/${product.id}`, payload: { priceCents: product.priceCents + 1 } })).statusCode).toBe(204)
      const third = await stack.app.inject('/api/products?page=1')
      expect(third.headers['cache-status']).toMatch(/fwd=miss/)
      expect((third.json() as { items: Array<{ id: number; priceCents: number }> }).items[4]).toMatchObject({ id: product.id, priceCents: product.priceCents + 1 })

      expect(await stack.queue.depth()).toBe(0)
      await expectSettled(stack, from, 'products.list', { requests: 3, cacheLookups: 3, cacheHits: 1 })
      const list = await routeCounters(stack, from, 'products.list')
      expect(list.jobs).toBeUndefined()
      // One render read the id list and count from MySQL; the hit and the re-render after the write cost 2 more at most.
      expect(list.queries ?? 0).toBeLessThanOrEqual(4)
    } finally {
      await stack.close()
    }
  })
})
