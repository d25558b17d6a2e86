import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { Meter } from '../../src/meter/meter.js'
import { cutoverMeter } from '../../src/meter/plugin.js'
import { readMeter } from '../../src/meter/read.js'
import { meterPool } from '../../src/meter/wrap-pool.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import { meterRedis } from '../../src/meter/wrap-redis.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import cutover from '../../src/plugin.js'
import { renderShadowHtml } from '../../src/report/shadow-html.js'
import { renderShadowMarkdown } from '../../src/report/shadow-markdown.js'
import { buildShadowReport } from '../../src/report/shadow-model.js'
import { loadShadowData } from '../../src/report/shadow-query.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter, type ShadowWriter } from '../../src/shadow/writer.js'
import { eventually, untilHit } from '../helpers/app.js'
import { StaticFlagSource } from '../helpers/flags.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

/**
 * A metered app whose legacy path costs 3 DB queries and 4 Redis commands
 * and enqueues 2 refresh jobs, and whose page path costs 1 and 1, shadowed through the plugin with the
 * page store in Redis behind the metered client: each side of every record
 * carries what it made, and the report shows it.
 */
describe('shadow records carry the DB and Redis calls of each side', () => {
  const env = redisForTest('shadowcounts')
  let db: MysqlForTest
  let app: FastifyInstance
  let meter: Meter
  let queue: ReturnType<typeof meterQueue>
  let writer: ShadowWriter
  const records: ShadowRecord[] = []
  const flags = new StaticFlagSource({ 'items.list': { mode: 'shadow', shadowRate: 1 } })
  const from = Date.now()

  beforeAll(async () => {
    db = await mysqlForTest('shadowcounts')
    await migrate({ url: db.url })
    writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0 })
    const pool = meterPool(db.pool, meter)
    const redis = meterRedis(env.redis, meter)
    // Its own client: the queue's commands are not the handler's.
    queue = meterQueue(new ListRefreshQueue({ redis: env.connect(), prefix: env.prefix }), meter)
    const runner = createShadowRunner({
      sink: { write: (r) => (records.push(r), writer.write(r)) },
      source: injectCandidateSource({ readCached: pageCacheReader() }),
      secondaryRate: 1,
      freshRate: 1,
    })
    app = Fastify({ logger: false })
    await app.register(cutoverMeter, { meter })
    await app.register(cutover, { flags, shadow: runner.handler, redis, prefix: env.prefix })
    app.get('/api/items', { config: { cutover: { id: 'items.list', ttl: 300, query: ['page'] } } }, async (request, reply) => {
      const page = (request.query as { page?: string }).page ?? '1'
      if (reply.getHeader('cutover-path') === 'page') {
        await pool.query('SELECT 1')
        await redis.get(`${env.prefix}:items:${page}`)
      } else {
        await pool.query('SELECT 1')
        const conn = await pool.getConnection()
        try {
          await conn.execute('SELECT ?', [2])
          await conn.query('SELECT 3')
        } finally {
          conn.release()
        }
        await redis.pipeline().get(`${env.prefix}:a:${page}`).get(`${env.prefix}:b:${page}`).get(`${env.prefix}:c:${page}`).exec()
        await redis.get(`${env.prefix}:items:${page}`)
        await queue.enqueue([{ table: 'items', id: 1 }, { table: 'items', id: 2 }])
      }
      return { page, items: [1, 2, 3] }
    })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    await writer?.close()
    await queue?.close()
    await meter?.close()
    await db?.cleanup()
    await env.cleanup()
  })

  it('records the legacy and the fresh page render with their own counts, none of the shadow charged to the user', async () => {
    await meter.flush()
    for (let i = 0; i < 3; i++) {
      const r = await app.inject('/api/items?page=1')
      expect(r.headers['cutover-path']).toBe('legacy')
    }
    await eventually(() => records.length >= 3)
    for (const r of records) {
      expect(r).toMatchObject({ outcome: 'match', candidateSource: 'fresh', fresh: null })
      expect(r.control).toMatchObject({ dbCalls: 3, redisCalls: 4, refreshJobs: 2 })
      expect(r.candidate).toMatchObject({ dbCalls: 1, redisCalls: 1, refreshJobs: 0 })
    }
    await eventually(async () => {
      await meter.flush()
      const reading = await readMeter({ redis: env.redis, prefix: env.prefix, from, to: Date.now() })
      // Three user requests; three page renders, three secondary legacy renders and three
      // looks for a cached page (one Redis command each, nothing cached yet) on the shadow side.
      const user = reading.user.get('items.list')?.counters
      const shadow = reading.shadow.get('items.list')?.counters
      expect(user).toMatchObject({ requests: 3, queries: 9, redis: 12 })
      expect(shadow).toMatchObject({ requests: 6, queries: 3 + 9, redis: 3 + 12 + 3 })
      return true
    })
  })

  it('counts a cached candidate as its read (no DB query) and the fresh render beside it', async () => {
    flags.set({ 'items.list': 'on' })
    expect((await app.inject('/api/items?page=2')).headers['cache-status']).toMatch(/stored/)
    await untilHit(app, '/api/items?page=2')
    flags.set({ 'items.list': { mode: 'shadow', shadowRate: 1 } })
    const before = records.length
    await app.inject('/api/items?page=2')
    await eventually(() => records.length > before)
    const r = records.at(-1)!
    expect(r).toMatchObject({ candidateSource: 'cache', control: { dbCalls: 3, redisCalls: 4 }, fresh: { dbCalls: 1, redisCalls: 1 } })
    expect(r.candidate?.dbCalls).toBe(0)
    // The page store lives in Redis behind the metered client: reading the page took commands.
    expect(r.candidate?.redisCalls).toBeGreaterThan(0)
  })

  it('stores the counts and the report shows DB calls per request of both sides', async () => {
    await writer.flush()
    const report = buildShadowReport(await loadShadowData(db.pool, {}), { generatedAt: Date.now(), window: { from: null, to: null } })
    const route = report.routes.find((x) => x.route === 'items.list')!
    expect(route.samples).toBe(4)
    // Control 3 queries and 2 refresh reads owed every time; candidate 1 on the three fresh renders, 0 on the cached page.
    expect(route.dbCallsPerRequest).toEqual({ control: 5, candidate: 0.75 })
    expect(route.refreshJobsPerRequest).toEqual({ control: 2, candidate: 0 })
    const md = renderShadowMarkdown(report)
    expect(md).toContain('| DB calls per request (inline + queued refresh reads) | 5.0 | 0.8 |')
    expect(md).toContain('| refresh jobs per request | 2.0 | 0.0 |')
    expect(renderShadowHtml(report)).toContain('control 5.0 · candidate 0.8')
  })

  it("runs the shadow handler outside the user's meter context: its own calls are charged to the background", async () => {
    const own = Fastify({ logger: false })
    const pool = meterPool(db.pool, meter)
    const seen: Array<ShadowContext['control']> = []
    await own.register(cutoverMeter, { meter })
    await own.register(cutover, {
      flags: new StaticFlagSource({ 'own.route': { mode: 'shadow', shadowRate: 1 } }),
      shadow: async (ctx) => {
        await pool.query('SELECT 1')
        await pool.query('SELECT 2')
        seen.push(ctx.control)
      },
    })
    own.get('/own', { config: { cutover: { id: 'own.route', ttl: 60 } } }, async () => {
      await pool.query('SELECT 3')
      return { ok: true }
    })
    try {
      await meter.flush()
      const started = Date.now()
      await own.inject('/own')
      await eventually(() => seen.length === 1)
      expect(seen[0]).toMatchObject({ dbCalls: 1, redisCalls: 0 })
      await meter.flush()
      const reading = await readMeter({ redis: env.redis, prefix: env.prefix, from: started, to: Date.now() })
      expect(reading.user.get('own.route')?.counters).toMatchObject({ requests: 1, queries: 1 })
      expect(reading.user.get('(background)')?.counters.queries).toBe(2)
    } finally {
      await own.close()
    }
  })
})
