import Fastify, { type FastifyInstance } from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { quantileMs } from '../../src/meter/histogram.js'
import { Meter } from '../../src/meter/meter.js'
import { cutoverMeter } from '../../src/meter/plugin.js'
import { readMeter } from '../../src/meter/read.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import cutover from '../../src/plugin.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { summarize } from '../../src/report/amplification.js'
import { redisForTest } from '../helpers/redis.js'

// The meter splits an opted-in route's counters by the path that served each
// response (`cutover-path`), beside the route's own counters, so the playbook
// can compare the page path with the legacy path over one window.

const env = redisForTest('meter-paths')
let app: FastifyInstance
let meter: Meter

beforeAll(async () => {
  meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0 })
  const queue = meterQueue(new ListRefreshQueue({ redis: env.redis, prefix: env.prefix }), meter)
  app = Fastify({ logger: false })
  await app.register(cutoverMeter, { meter })
  await app.register(cutover, {})
  // The same handler on both paths: one query and two jobs per request, a 500 on every fourth.
  const handler = () => {
    let n = 0
    return async (_req: unknown, reply: { code(c: number): unknown }) => {
      await queue.enqueue([{ table: 't', id: 1 }, { table: 't', id: 2 }])
      meter.countQuery() // what a metered pool does on each query
      if (++n % 4 === 0) reply.code(500)
      return { n }
    }
  }
  app.get('/page', { config: { cutover: { id: 'r.page', ttl: 60, mode: 'on', query: ['i'] } } }, handler())
  app.get('/legacy', { config: { cutover: { id: 'r.legacy', ttl: 60, mode: 'off' } } }, handler())
  app.get('/plain', async () => ({ plain: true }))
  await app.ready()
})

afterAll(async () => {
  await app.close()
  await meter.close()
  await env.cleanup()
})

describe('meter: counters per path', () => {
  it('counts requests, 5xx, DB calls, jobs and latency per path, and leaves the route totals as they were', async () => {
    const from = Date.now()
    for (let i = 0; i < 8; i++) {
      // A new key each time: every request is a miss and runs the handler.
      expect((await app.inject(`/page?i=${i}`)).headers['cutover-path']).toBe('page')
      expect((await app.inject('/legacy')).headers['cutover-path']).toBe('legacy')
      await app.inject('/plain')
    }
    await meter.flush()
    const reading = await readMeter({ redis: env.redis, prefix: env.prefix, from, to: Date.now() })
    const page = reading.user.get('r.page')
    const legacy = reading.user.get('r.legacy')
    expect(page?.paths?.page?.counters).toEqual({ requests: 8, errors: 2, queries: 8, jobs: 16 })
    expect(page?.paths?.legacy).toBeUndefined()
    expect(legacy?.paths?.legacy?.counters).toEqual({ requests: 8, errors: 2, queries: 8, jobs: 16 })
    expect(quantileMs(page?.paths?.page?.latency ?? new Map(), 0.99)).toBeGreaterThan(0)
    expect(reading.user.get('GET /plain')?.paths).toBeUndefined()
    // The route's own counters hold nothing of the split.
    expect(Object.keys(page?.counters ?? {}).some((k) => k.startsWith('path.'))).toBe(false)
    expect(summarize(reading, { label: 'x' }).routes.find((r) => r.route === 'r.page')).toMatchObject({ requests: 8, errors: 2, refreshJobs: 16 })
  })
})
