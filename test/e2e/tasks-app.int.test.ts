import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { Meter, meterCountsOf, readMeter } from '../../src/entries/meter.js'
import { buildTasksApp } from '../fixtures/tasks-app/app.js'
import { signIn } from '../fixtures/tasks-app/client.js'
import { createTasksDatabase, type TasksDatabase } from '../fixtures/tasks-app/database.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

// The tasks app (test/fixtures/tasks-app) with cutover added as
// docs/existing-app.md says: a prefixed route plugin, @fastify/session
// cookies on every response, knex on MySQL, numeric user ids.
describe('an existing app with cutover added the documented way', () => {
  let db: TasksDatabase
  let r: RedisForTest
  let app: FastifyInstance

  beforeAll(async () => {
    db = await createTasksDatabase()
  })
  afterAll(async () => {
    await db.drop()
  })
  beforeEach(async () => {
    r = redisForTest('tasks')
    app = await buildTasksApp({ db, redis: r.redis, prefix: r.prefix })
    await app.ready()
  })
  afterEach(async () => {
    await app.close()
    await r.cleanup()
  })

  it('starts, with the prefixed list route answering at /api/tasks and /api/tasks/ as one page', async () => {
    const ada = await signIn(app, 'ada')
    const first = await app.inject({ url: '/api/tasks', headers: { cookie: ada } })
    expect(first.statusCode).toBe(200)
    expect(first.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    const twin = await app.inject({ url: '/api/tasks/', headers: { cookie: ada } })
    expect(twin.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(twin.body).toBe(first.body)
  })

  it('stores the shared list once for every signed-in user, never with anyone\'s session cookie, and sends it private', async () => {
    const ada = await signIn(app, 'ada')
    const bob = await signIn(app, 'bob')
    const miss = await app.inject({ url: '/api/tasks?page=1', headers: { cookie: ada } })
    expect(miss.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    // Ada's own response still renews her session (rolling cookie); the stored copy has no Set-Cookie.
    expect(String(miss.headers['set-cookie'])).toMatch(/^sessionId=/)
    const hit = await app.inject({ url: '/api/tasks?page=1', headers: { cookie: bob } })
    expect(hit.headers['cache-status']).toMatch(/^cutover; hit/)
    // The session plugin still renews Bob's own session on a hit; Ada's never reaches him.
    expect(String(hit.headers['set-cookie'])).toContain(bob)
    expect(String(hit.headers['set-cookie'])).not.toContain(ada)
    expect(hit.headers['cache-control']).toMatch(/^private/)
    expect(hit.json()).toEqual(miss.json())
  })

  it('never serves the signed-in page to a request signed in as no one', async () => {
    const ada = await signIn(app, 'ada')
    await app.inject({ url: '/api/tasks', headers: { cookie: ada } })
    const anonymous = await app.inject({ url: '/api/tasks' })
    expect(anonymous.statusCode).toBe(401)
    expect(anonymous.body).not.toContain('task 1')
  })

  it('keeps one page per user on a user route', async () => {
    const ada = await signIn(app, 'ada')
    const bob = await signIn(app, 'bob')
    const adaMiss = await app.inject({ url: '/api/tasks/mine', headers: { cookie: ada } })
    expect(adaMiss.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect(adaMiss.json().username).toBe('ada')
    const bobMiss = await app.inject({ url: '/api/tasks/mine', headers: { cookie: bob } })
    expect(bobMiss.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect(bobMiss.json().username).toBe('bob')
    const adaHit = await app.inject({ url: '/api/tasks/mine', headers: { cookie: ada } })
    expect(adaHit.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(adaHit.json().username).toBe('ada')
  })

  it('caches the public home page for visitors with and without a session', async () => {
    const ada = await signIn(app, 'ada')
    expect((await app.inject({ url: '/', headers: { cookie: ada } })).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    const visitor = await app.inject({ url: '/' })
    expect(visitor.headers['cache-status']).toMatch(/^cutover; hit/)
    // A new session of the visitor's own (saveUninitialized), never Ada's.
    expect(String(visitor.headers['set-cookie'])).not.toContain(ada)
  })

  it('the writer reads its own write at once: a purge made by a write route is hard, though the routes serve stale pages', async () => {
    const ada = await signIn(app, 'ada')
    const bob = await signIn(app, 'bob')
    for (const cookie of [ada, bob]) expect((await app.inject({ url: '/api/tasks/3', headers: { cookie } })).json().name).toBe('task 3')
    const list = await app.inject({ url: '/api/tasks', headers: { cookie: ada } })
    expect(list.json().tasks[2].name).toBe('task 3')
    const patch = await app.inject({ method: 'PATCH', url: '/api/tasks/3', headers: { cookie: ada }, payload: { name: 'renamed' } })
    expect(patch.statusCode).toBe(200)
    const after = await app.inject({ url: '/api/tasks/3', headers: { cookie: ada } })
    expect(after.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect(after.json().name).toBe('renamed')
    expect((await app.inject({ url: '/api/tasks', headers: { cookie: bob } })).json().tasks[2].name).toBe('renamed')
    await app.inject({ method: 'PATCH', url: '/api/tasks/3', headers: { cookie: ada }, payload: { name: 'task 3' } })
  })

  it('the meter counts the knex queries of every request at the driver: two per list render, none per hit', async () => {
    await app.close()
    const meter = new Meter({ redis: r.redis, prefix: r.prefix, flushIntervalMs: 0 })
    app = await buildTasksApp({ db, redis: r.redis, prefix: r.prefix, meter })
    await app.ready()
    const from = Date.now()
    const ada = await signIn(app, 'ada')
    const miss = await app.inject({ url: '/api/tasks?page=2', headers: { cookie: ada } })
    expect(meterCountsOf(miss.raw.req)?.dbCalls).toBe(2)
    const hit = await app.inject({ url: '/api/tasks?page=2', headers: { cookie: ada } })
    expect(hit.headers['cache-status']).toMatch(/^cutover; hit/)
    expect(meterCountsOf(hit.raw.req)?.dbCalls).toBe(0)
    await meter.close()
    const reading = await readMeter({ redis: r.redis, prefix: r.prefix, from, to: Date.now() })
    expect(reading.user.get('tasks.list')?.counters).toMatchObject({ requests: 2, queries: 2 })
  })
})
