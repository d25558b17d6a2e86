import Fastify, { type FastifyInstance } from 'fastify'
import knex, { type Knex } from 'knex'
import mysqlCallback from 'mysql2'
import mysql from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Meter } from '../../src/meter/meter.js'
import { meterMysql2 } from '../../src/meter/mysql2-channels.js'
import { cutoverMeter, meterCountsOf } from '../../src/meter/plugin.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'

// Every mysql2 user, counted at the driver: knex, the callback API (pool and
// connection), the promise API. Each route runs two statements.
describe('meterMysql2: DB calls counted at the driver for any mysql2 user', () => {
  let db: MysqlForTest
  let r: RedisForTest
  let meter: Meter
  let stop: () => void
  let app: FastifyInstance
  let k: Knex
  let callbackPool: mysqlCallback.Pool
  let onePool: mysql.Pool

  beforeAll(async () => {
    db = await mysqlForTest('driver')
    r = redisForTest('driver')
    meter = new Meter({ redis: r.redis, prefix: r.prefix, flushIntervalMs: 0 })
    stop = meterMysql2(meter)
    k = knex({ client: 'mysql2', connection: db.url, pool: { min: 0, max: 2 } })
    callbackPool = mysqlCallback.createPool({ uri: db.url, connectionLimit: 2 })
    // One connection: concurrent requests queue for it and get it from each other's release.
    onePool = mysql.createPool({ uri: db.url, connectionLimit: 1 })
    app = Fastify()
    await app.register(cutoverMeter, { meter })
    app.get('/knex', async () => {
      await k.raw('SELECT 1')
      return k.select(k.raw('2 AS two'))
    })
    app.get('/callback', async () => {
      const q = (sql: string): Promise<unknown> => new Promise((resolve, reject) => callbackPool.query(sql, (err, rows) => (err ? reject(err) : resolve(rows))))
      await q('SELECT 1')
      return q('SELECT 2')
    })
    app.get('/connection', async () => {
      const conn = mysqlCallback.createConnection({ uri: db.url })
      try {
        const q = (sql: string): Promise<unknown> => new Promise((resolve, reject) => conn.query(sql, (err, rows) => (err ? reject(err) : resolve(rows))))
        await q('SELECT 1')
        return await q('SELECT 2')
      } finally {
        conn.end()
      }
    })
    app.get('/promise', async () => {
      await onePool.query('SELECT 1')
      const [rows] = await onePool.execute('SELECT ? AS x', [2])
      return rows
    })
    app.get<{ Querystring: { n: string } }>('/queued', async (request) => {
      for (let i = 0; i < Number(request.query.n); i++) await onePool.query('SELECT SLEEP(0.01)')
      return { ok: true }
    })
    await app.ready()
    // knex's first connection runs a set-up statement of its own: a real DB call, counted, but not this test's subject.
    await app.inject('/knex')
  })
  afterAll(async () => {
    stop()
    await app.close()
    await k.destroy()
    await new Promise<void>((resolve) => callbackPool.end(() => resolve()))
    await onePool.end()
    await meter.close()
    await r.cleanup()
    await db.cleanup()
  })

  it.each(['/knex', '/callback', '/connection', '/promise'])('%s: both statements are the request\'s DB calls', async (url) => {
    const res = await app.inject(url)
    expect(res.statusCode).toBe(200)
    expect(meterCountsOf(res.raw.req)?.dbCalls).toBe(2)
  })

  it('statements run on a connection handed over from another request\'s release count for the request that waited for it', async () => {
    const results = await Promise.all([1, 2, 3, 4, 5].map(async (n) => ({ n, res: await app.inject(`/queued?n=${n}`) })))
    for (const { n, res } of results) expect(meterCountsOf(res.raw.req)?.dbCalls).toBe(n)
  })

  it('stops counting once stopped, and counts again once installed again', async () => {
    stop()
    expect(meterCountsOf((await app.inject('/knex')).raw.req)?.dbCalls).toBe(0)
    stop = meterMysql2(meter)
    expect(meterCountsOf((await app.inject('/knex')).raw.req)?.dbCalls).toBe(2)
  })
})
