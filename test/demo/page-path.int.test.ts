import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { seedDemoData } from '../../src/demo/schema.js'
import { startDemoStack, type DemoStack } from '../../src/demo/stack.js'
import { StaticFlagSource } from '../../src/flags/static-source.js'
import { readMeter } from '../../src/meter/read.js'
import { eventually } from '../helpers/app.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

/**
 * The demo's read routes have two handlers: the legacy one (object cache, one
 * refresh job per record, in every mode) and the page path's (MySQL directly,
 * one query a page, no jobs). Both answer the same JSON for the same data.
 */
describe('demo app: legacy and page path handlers', () => {
  const env = redisForTest('demopaths')
  let db: MysqlForTest
  let stack: DemoStack
  const flags = new StaticFlagSource({})
  const ROUTES = { 'products.list': 'off', 'products.get': 'off', 'categories.products': 'off' } as const
  const mode = (m: 'off' | 'on' | 'shadow'): void => flags.set(Object.fromEntries(Object.keys(ROUTES).map((id) => [id, m === 'shadow' ? { mode: m, shadowRate: 0 } : m])))

  beforeAll(async () => {
    db = await mysqlForTest('demopaths')
    await seedDemoData(db.pool, 1000)
    stack = await startDemoStack({ pool: db.pool, redis: env.redis, prefix: env.prefix, queue: 'list', pageCache: true, cutover: { flags }, worker: false })
  }, 60_000)
  afterAll(async () => {
    await stack?.close()
    await env.cleanup()
    await db?.cleanup()
  })

  const counters = async (from: number, route: string): Promise<Record<string, number>> => {
    await stack.meter.flush()
    const reading = await readMeter({ redis: env.redis, prefix: stack.meter.prefix, from, to: Date.now() })
    return reading.user.get(route)?.counters ?? {}
  }

  it.each([
    '/api/products?page=2&sort=price',
    '/api/products?page=3&sort=name&category=4',
    '/api/products?page=40',
    '/api/categories/3/products?page=1&sort=-price',
    '/api/products/7',
    '/api/products/99999',
  ])('%s: the same status and JSON on both paths', async (url) => {
    mode('off')
    const legacy = await stack.app.inject(url)
    expect(legacy.headers['cutover-path']).toBe('legacy')
    mode('on')
    const page = await stack.app.inject(url)
    expect(page.headers['cutover-path']).toBe('page')
    expect(page.headers['cache-status']).toMatch(/fwd=miss/)
    expect(page.statusCode).toBe(legacy.statusCode)
    expect(page.json()).toEqual(legacy.json())
  })

  it('a list page on the page path is one MySQL query and no refresh jobs; the legacy path enqueues one job per product in shadow mode too', async () => {
    // The meter counts in time buckets: compare against what the earlier tests left.
    const list = async (): Promise<Record<string, number>> => counters(Date.now() - 3_600_000, 'products.list')
    const start = await list()
    const grew = async (field: string, by: number): Promise<boolean> => ((await list())[field] ?? 0) === (start[field] ?? 0) + by
    const depth = await stack.queue.depth()
    mode('on')
    const page = await stack.app.inject('/api/products?page=5&sort=name')
    expect(page.json()).toMatchObject({ total: 1000, items: expect.any(Array) })
    await eventually(() => grew('requests', 1), 5000)
    expect(await grew('queries', 1)).toBe(true)
    expect(await grew('jobs', 0)).toBe(true)
    expect(await stack.queue.depth()).toBe(depth)

    mode('shadow')
    const legacy = await stack.app.inject('/api/products?page=6&sort=name')
    expect(legacy.headers['cutover-path']).toBe('legacy')
    await eventually(async () => (await stack.queue.depth()) === depth + 100, 5000)
    await eventually(() => grew('jobs', 100), 5000)
  })

  it('faults: roundPrices changes only the page path of products.list; generatedAt stamps list pages on both paths', async () => {
    const prefix = `${env.prefix}-faults`
    const faulty = await startDemoStack({
      pool: db.pool, redis: env.redis, prefix, queue: 'list', pageCache: true, cutover: { flags }, worker: false,
      faults: { roundPrices: true, generatedAt: true },
    })
    try {
      type Page = { items: Array<{ priceCents: number }>; generatedAt: string }
      mode('off')
      const legacy = (await faulty.app.inject('/api/products?page=1')).json<Page>()
      mode('on')
      const page = (await faulty.app.inject('/api/products?page=1')).json<Page>()
      expect(legacy.items.some((p) => p.priceCents % 100 !== 0)).toBe(true)
      expect(page.items.every((p) => p.priceCents % 100 === 0)).toBe(true)
      for (const body of [legacy, page]) expect(Date.parse(body.generatedAt)).toBeGreaterThan(Date.now() - 60_000)
      const category = (await faulty.app.inject('/api/categories/2/products')).json<Page>()
      expect(category.items.some((p) => p.priceCents % 100 !== 0)).toBe(true)
      expect(category.generatedAt).toEqual(expect.any(String))
      expect((await faulty.app.inject('/api/products/3')).json()).not.toHaveProperty('generatedAt')
    } finally {
      await faulty.close()
    }
  })
})
