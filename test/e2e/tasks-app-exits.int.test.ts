import { fork } from 'node:child_process'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTasksDatabase, type TasksDatabase } from '../fixtures/tasks-app/database.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

/** Runs the tasks app in a child process; resolves to its exit code, or 'alive' if it is still running `ms` after it closed everything. */
async function runApp(env: Record<string, string>, ms: number): Promise<number | null | 'alive'> {
  const child = fork(new URL('../fixtures/tasks-app/exits.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  const closed = new Promise<void>((resolve) => child.once('message', () => resolve()))
  // Setting up (tsx, the app) may take a while on a loaded machine; only the time after closing counts.
  const first = await Promise.race([closed.then(() => 'closed' as const), exited])
  if (first !== 'closed') return first
  const code = await Promise.race([exited, new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), ms))])
  if (code === 'alive') {
    child.kill('SIGKILL')
    await exited
  }
  return code
}

describe('the app\'s process exits once it has closed what it opened', () => {
  let db: TasksDatabase
  let r: RedisForTest
  beforeAll(async () => {
    db = await createTasksDatabase(4)
    r = redisForTest('exits')
  })
  afterAll(async () => {
    await r.cleanup()
    await db.drop()
  })
  const env = (meterRedis: string): Record<string, string> => ({
    REDIS_URL,
    PREFIX: r.prefix,
    DB: JSON.stringify({ name: db.name, connection: db.connection }),
    METER_REDIS: meterRedis,
  })

  it('with the meter given a URL: Meter.close() quits the client it opened and the process exits', async () => {
    expect(await runApp(env('url'), 10_000)).toBe(0)
  }, 60_000)

  it('with a client duplicated inline and never closed, the process stays alive (why the meter takes a URL)', async () => {
    expect(await runApp(env('duplicate'), 2_000)).toBe('alive')
  }, 60_000)
})
