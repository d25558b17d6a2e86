import type { Pool } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { demoKeys } from '../../src/demo/keys.js'
import { demoRefreshMany, UnknownTableError } from '../../src/demo/refresh-many.js'
import { seedDemoData } from '../../src/demo/schema.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

const env = redisForTest('refresh-many')
let db: MysqlForTest

beforeAll(async () => {
  db = await mysqlForTest('refreshmany')
  await seedDemoData(db.pool, 200)
})
afterAll(async () => {
  await db?.cleanup()
  await env.cleanup()
})

describe('the demo refreshMany', () => {
  it('reads a batch in one IN (...) query and rewrites, or deletes, every object key', async () => {
    const keys = demoKeys(env.prefix)
    await db.pool.query('UPDATE products SET name = ? WHERE id = 5', ['Renamed'])
    await env.redis.set(keys.product(5), JSON.stringify({ id: 5, name: 'stale' }))
    await env.redis.set(keys.product(9999), 'gone row')
    let queries = 0
    const counted = new Proxy(db.pool, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown
        if (prop !== 'query' && prop !== 'execute') return typeof value === 'function' ? value.bind(target) : value
        return (...args: unknown[]) => {
          queries++
          return (value as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    }) as Pool
    const refreshMany = demoRefreshMany({ pool: counted, redis: env.redis, prefix: env.prefix })
    await refreshMany('products', [5, '6', 6, 9999])
    expect(queries).toBe(1)
    expect(JSON.parse((await env.redis.get(keys.product(5))) ?? '{}')).toMatchObject({ id: 5, name: 'Renamed' })
    expect(JSON.parse((await env.redis.get(keys.product(6))) ?? '{}')).toMatchObject({ id: 6 })
    expect(await env.redis.ttl(keys.product(6))).toBeGreaterThan(3000)
    expect(await env.redis.exists(keys.product(9999))).toBe(0)
    await refreshMany('products', [])
    expect(queries).toBe(1)
    await expect(refreshMany('orders', [1])).rejects.toBeInstanceOf(UnknownTableError)
  })
})
