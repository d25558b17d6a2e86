import Fastify, { type FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Meter } from '../../src/meter/meter.js'
import type { CutoverApi } from '../../src/plugin.js'
import { cutoverMeter, meterCountsOf } from '../../src/meter/plugin.js'
import { readMeter } from '../../src/meter/read.js'
import { meterPool } from '../../src/meter/wrap-pool.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

const env = redisForTest('attribution')
let db: MysqlForTest
let app: FastifyInstance
let meter: Meter
const shadowToken = 'tok-' + Math.random().toString(36).slice(2)
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

beforeAll(async () => {
  db = await mysqlForTest('attribution')
  meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0, registry: new Registry() })
  const pool = meterPool(db.pool, meter)
  const redis = meterRedis(env.redis, meter)
  const queue = meterQueue(new ListRefreshQueue({ redis: env.redis, prefix: env.prefix }), meter)
  app = Fastify()
  // Stands in for the page cache plugin's API: only its shadow token matters here.
  app.decorate('cutover', { shadowToken } as unknown as CutoverApi)
  await app.register(cutoverMeter, { meter, metrics: true })
  // Route A: 3 inline queries (one on a connection taken from the pool), 2 Redis commands, 4 jobs.
  app.get('/a', { config: { cutover: { id: 'route.a' } } as object }, async () => {
    await pool.query('SELECT 1')
    await tick()
    const conn = await pool.getConnection()
    try {
      await conn.execute('SELECT ?', [2])
      await tick()
      await conn.query('SELECT 3')
    } finally {
      conn.release()
    }
    await redis.set(`${env.prefix}:a`, '1')
    await tick()
    await redis.get(`${env.prefix}:a`)
    await queue.enqueue([1, 2, 3, 4].map((id) => ({ table: 't', id })))
    return { ok: true }
  })
  // Route B: 1 query, 5 Redis commands (a pipeline of 3 and a MULTI of 2), 1 job.
  app.get('/b/:id', async () => {
    await tick()
    await redis.pipeline().set(`${env.prefix}:b`, '1').get(`${env.prefix}:b`).incr(`${env.prefix}:n`).exec()
    await tick()
    await pool.execute('SELECT 1')
    await redis.multi().incr(`${env.prefix}:n`).get(`${env.prefix}:n`).exec()
    await queue.enqueue([{ table: 't', id: 9 }])
    return { ok: true }
  })
  await app.ready()
})

afterAll(async () => {
  await app?.close()
  await meter?.close()
  await db?.cleanup()
  await env.cleanup()
})

describe('meter attribution', () => {
  it('charges interleaved requests of two routes each to its own route', async () => {
    const from = Date.now()
    const requests: Array<Promise<{ statusCode: number }>> = []
    for (let i = 0; i < 20; i++) {
      requests.push(app.inject('/a'), app.inject(`/b/${i}`))
    }
    for (const res of await Promise.all(requests)) expect(res.statusCode).toBe(200)
    await meter.flush()
    const reading = await readMeter({ redis: env.redis, prefix: env.prefix, from, to: Date.now() })
    expect(reading.user.get('route.a')?.counters).toMatchObject({ requests: 20, queries: 60, redis: 40, jobs: 80 })
    expect(reading.user.get('GET /b/:id')?.counters).toMatchObject({ requests: 20, queries: 20, redis: 100, jobs: 20 })
    expect([...reading.user.keys()].sort()).toEqual(['GET /b/:id', 'route.a'])
    expect(reading.backlog.get('route.a')).toBe(80)
    expect(reading.user.get('route.a')?.latency.size).toBeGreaterThan(0)
  })

  it('keeps shadow renders apart and never lets them enqueue', async () => {
    const from = Date.now() - 120_000
    const window = async () => readMeter({ redis: env.redis, prefix: env.prefix, from, to: Date.now() })
    await meter.flush()
    const before = await window()
    const queued = await env.redis.llen(`${env.prefix}:v1:queue:{refresh}:waiting`)
    const shadow = await app.inject({ url: '/a', headers: { 'x-cutover-shadow': shadowToken } })
    const forged = await app.inject({ url: '/a', headers: { 'x-cutover-shadow': 'guess' } })
    expect(shadow.statusCode).toBe(200)
    expect(forged.statusCode).toBe(200)
    await meter.flush()
    // Only the forged (user) request enqueued its 4 jobs.
    expect(await env.redis.llen(`${env.prefix}:v1:queue:{refresh}:waiting`)).toBe(queued + 4)
    const after = await window()
    const delta = (scope: 'user' | 'shadow'): Record<string, number> => {
      const b = before[scope].get('route.a')?.counters ?? {}
      const a = after[scope].get('route.a')?.counters ?? {}
      return Object.fromEntries(['requests', 'queries', 'redis', 'jobs'].map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)]))
    }
    expect(delta('shadow')).toEqual({ requests: 1, queries: 3, redis: 2, jobs: 4 })
    expect(delta('user')).toEqual({ requests: 1, queries: 3, redis: 2, jobs: 4 })
  })

  it("hands each request's own DB and Redis calls and refresh jobs to meterCountsOf(raw), interleaved requests and shadow renders apart", async () => {
    const requests: Array<Promise<{ raw: { req: object } }>> = []
    for (let i = 0; i < 10; i++) {
      requests.push(app.inject('/a'), app.inject(`/b/${i}`), app.inject({ url: '/a', headers: { 'x-cutover-shadow': shadowToken } }))
    }
    const counts = (await Promise.all(requests)).map((res) => meterCountsOf(res.raw.req))
    for (let i = 0; i < counts.length; i += 3) {
      expect(counts[i]).toEqual({ dbCalls: 3, redisCalls: 2, refreshJobs: 4 })
      expect(counts[i + 1]).toEqual({ dbCalls: 1, redisCalls: 5, refreshJobs: 1 })
      // A shadow render enqueues nothing, but its counts say what it would have.
      expect(counts[i + 2]).toEqual({ dbCalls: 3, redisCalls: 2, refreshJobs: 4 })
    }
    expect(meterCountsOf((await app.inject('/metrics')).raw.req)).toBeUndefined()
    expect(meterCountsOf({})).toBeUndefined()
  })

  it('serves Prometheus metrics at /metrics without metering that route', async () => {
    const res = await app.inject('/metrics')
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toContain('text/plain')
    expect(res.body).toMatch(/cutover_meter_requests_total\{route="route.a",traffic="user"\} \d+/)
    expect(res.body).not.toContain('route="GET /metrics"')
    // Nor its response (the onResponse hook tells it by the mark its onRequest hook left).
    const again = await app.inject('/metrics')
    expect(again.body).not.toMatch(/GET \/metrics|\(metrics\)/)
  })
})
