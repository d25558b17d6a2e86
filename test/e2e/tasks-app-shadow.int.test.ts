import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { StaticFlagSource } from '../../src/flags/static-source.js'
import { injectCandidateSource } from '../../src/shadow/candidate-source.js'
import { pageCacheReader } from '../../src/shadow/page-cache-reader.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { buildTasksApp } from '../fixtures/tasks-app/app.js'
import { signIn } from '../fixtures/tasks-app/client.js'
import { createTasksDatabase, type TasksDatabase } from '../fixtures/tasks-app/database.js'
import { eventually } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

// A per-user route whose cached pages went stale behind the cache (a row
// renamed in SQL): in shadow mode the comparison must read what each user
// would be served, their own cached page, not a fresh render.
describe('shadow mode on the tasks app\'s per-user route', () => {
  let db: TasksDatabase
  let r: RedisForTest
  let app: FastifyInstance
  const records: ShadowRecord[] = []

  beforeAll(async () => {
    db = await createTasksDatabase(4)
    r = redisForTest('tasksshadow')
  })
  afterAll(async () => {
    await r.cleanup()
    await db.drop()
  })
  afterEach(async () => {
    await app.close()
  })

  it('compares each user\'s own cached page and calls a page renamed behind the cache stale', async () => {
    const flags = new StaticFlagSource({ 'tasks.mine': 'on' })
    const runner = createShadowRunner({
      sink: { write: (record) => records.push(record) },
      source: injectCandidateSource({ readCached: pageCacheReader() }),
      secondaryRate: 0,
      secondaryOnMismatch: false,
    })
    app = await buildTasksApp({ db, redis: r.redis, prefix: r.prefix, cutover: { flags, shadow: runner.handler } })
    await app.ready()
    const ada = await signIn(app, 'ada')
    const bob = await signIn(app, 'bob')
    // Mode on: each user's page is stored.
    for (const cookie of [ada, bob]) expect((await app.inject({ url: '/api/tasks/mine', headers: { cookie } })).headers['cache-status']).toBe('cutover; fwd=miss; stored')
    // Behind the cache: Ada's first task is renamed in SQL, no purge.
    await app.knex('tasks').where({ id: 1 }).update({ name: 'renamed in SQL' })
    flags.set({ 'tasks.mine': { mode: 'shadow', shadowRate: 1 } })

    const control = await app.inject({ url: '/api/tasks/mine', headers: { cookie: ada } })
    expect(control.headers['cutover-path']).toBe('legacy')
    expect(control.json().tasks[0].name).toBe('renamed in SQL')
    await eventually(() => records.length === 1, 10_000)
    expect(records[0]).toMatchObject({ route: 'tasks.mine', candidateSource: 'cache', outcome: 'mismatch', cause: 'staleness' })
    expect(records[0]!.diffs.map((d) => d.path)).toEqual(['/tasks/0/name'])

    // Bob's own cached page is still right: a match, read from his page, not Ada's.
    await app.inject({ url: '/api/tasks/mine', headers: { cookie: bob } })
    await eventually(() => records.length === 2, 10_000)
    expect(records[1]).toMatchObject({ route: 'tasks.mine', candidateSource: 'cache', outcome: 'match' })
  })
})
