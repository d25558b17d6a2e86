import type { FastifyInstance } from 'fastify'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { buildTasksApp } from '../fixtures/tasks-app/app.js'
import { signIn } from '../fixtures/tasks-app/client.js'
import { createTasksDatabase, type TasksDatabase } from '../fixtures/tasks-app/database.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

// The app's own tests, written as its developers would: one app for the
// file, rows changed straight through knex between tests.
describe('testing an app that uses cutover', () => {
  let db: TasksDatabase
  let r: RedisForTest
  let app: FastifyInstance
  let ada: string

  beforeAll(async () => {
    db = await createTasksDatabase(4)
    r = redisForTest('owntests')
    app = await buildTasksApp({ db, redis: r.redis, prefix: r.prefix })
    await app.ready()
    ada = await signIn(app, 'ada')
  })
  afterAll(async () => {
    await app.close()
    await r.cleanup()
    await db.drop()
  })

  const names = async (): Promise<string[]> => (await app.inject({ url: '/api/tasks', headers: { cookie: ada } })).json().tasks.map((t: { name: string }) => t.name)

  describe('without a reset between tests', () => {
    it('reads the list (and caches it)', async () => {
      expect(await names()).toEqual(['task 1', 'task 2', 'task 3', 'task 4'])
    })
    it('deletes a row through knex and reads the cached list of the earlier test', async () => {
      await app.knex('tasks').where({ id: 4 }).delete()
      expect(await names()).toContain('task 4')
    })
  })

  describe('with app.cutover.clear() before each test', () => {
    beforeEach(async () => {
      await app.cutover.clear()
    })
    it('sees the row the earlier test deleted gone', async () => {
      expect(await names()).toEqual(['task 1', 'task 2', 'task 3'])
    })
    it('sees a row inserted through knex', async () => {
      await app.knex('tasks').insert({ name: 'task 5', author_id: 1 })
      await app.cutover.clear()
      expect(await names()).toContain('task 5')
    })
  })

  describe('with the cache off for a test (app.cutover.kill())', () => {
    beforeEach(() => {
      app.cutover.kill()
    })
    afterEach(() => {
      app.cutover.revive()
    })
    it('every route runs its handler, as if cutover were absent', async () => {
      await app.knex('tasks').where({ id: 1 }).update({ name: 'renamed in SQL' })
      const res = await app.inject({ url: '/api/tasks', headers: { cookie: ada } })
      expect(res.headers['cutover-path']).toBe('legacy')
      expect(res.json().tasks[0].name).toBe('renamed in SQL')
    })
  })
})
