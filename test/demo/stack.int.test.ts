import type { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDemoStack } from '../../src/demo/stack.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'

const env = redisForTest('stack')
let db: MysqlForTest

beforeAll(async () => {
  db = await mysqlForTest('stack')
})
afterAll(async () => {
  await db?.cleanup()
  await env.cleanup()
})

describe('startDemoStack', () => {
  it('closes what it had opened when it fails part-way (the meter connection kept the process alive)', async () => {
    const redis = env.connect()
    const opened: Redis[] = []
    const duplicate = redis.duplicate.bind(redis)
    redis.duplicate = (...args: Parameters<Redis['duplicate']>) => {
      const client = duplicate(...args)
      opened.push(client)
      return client
    }
    // The plugin refuses this option while the app is being built, after the meter and queue exist.
    const failing = startDemoStack({ pool: db.pool, redis, prefix: env.prefix, queue: 'list', pageCache: true, cutover: { timeout: -1 } })
    await expect(failing).rejects.toMatchObject({ code: 'CUTOVER_ERR_OPTIONS_INVALID' })
    expect(opened.length).toBeGreaterThan(0)
    // ioredis's disconnect() ends the connection on the next turn.
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(opened.map((c) => c.status)).toEqual(opened.map(() => 'end'))
  })
})
