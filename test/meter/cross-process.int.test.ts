import { fork } from 'node:child_process'
import Fastify from 'fastify'
import { afterAll, describe, expect, it } from 'vitest'
import { Meter } from '../../src/meter/meter.js'
import { cutoverMeter } from '../../src/meter/plugin.js'
import { readMeter } from '../../src/meter/read.js'
import { meterQueue } from '../../src/meter/wrap-queue.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { mysqlForTest } from '../helpers/mysql.js'
import { redisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

const env = redisForTest('xproc')
afterAll(() => env.cleanup())

describe('a worker in another process', () => {
  it('charges its DB reads to the route that enqueued the jobs', async () => {
    const db = await mysqlForTest('xproc')
    const meter = new Meter({ redis: env.connect(), prefix: env.prefix, flushIntervalMs: 0 })
    const queue = meterQueue(new ListRefreshQueue({ redis: env.redis, prefix: env.prefix }), meter)
    const app = Fastify()
    await app.register(cutoverMeter, { meter })
    app.get('/list', { config: { cutover: { id: 'products.list' } } as object }, async () => {
      await queue.enqueue(Array.from({ length: 100 }, (_, i) => ({ table: 'products', id: i + 1 })))
      return { ok: true }
    })
    app.get('/other', async () => ({ ok: true }))
    let child: ReturnType<typeof fork> | undefined
    try {
      const from = Date.now()
      expect((await app.inject('/list')).statusCode).toBe(200)
      expect((await app.inject('/other')).statusCode).toBe(200)
      await meter.flush()
      child = fork(new URL('./fixtures/refresh-worker.ts', import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, REDIS_URL, MYSQL_URL: db.url, PREFIX: env.prefix, EXPECT: '100' },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
      const forked = child
      const message = new Promise<{ done: number; pid: number }>((resolve) => forked.once('message', (m) => resolve(m as { done: number; pid: number })))
      const code = await new Promise<number | null>((resolve) => forked.once('exit', resolve))
      expect(code).toBe(0)
      const reported = await message
      expect(reported.done).toBe(100)
      expect(reported.pid).not.toBe(process.pid)

      const reading = await readMeter({ redis: env.redis, prefix: env.prefix, from, to: Date.now() })
      expect(reading.user.get('products.list')?.counters).toMatchObject({ requests: 1, jobs: 100, refreshReads: 100, jobsDone: 100 })
      expect(reading.user.get('GET /other')?.counters.refreshReads).toBeUndefined()
      expect(reading.backlog.get('products.list')).toBeUndefined()
    } finally {
      if (child && child.exitCode === null) child.kill()
      await app.close()
      await queue.close()
      await meter.close()
      await db.cleanup()
    }
  })
})
