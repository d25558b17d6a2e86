import { createServer, type Server } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCliProcess } from '../helpers/cli-process.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { MYSQL_URL, REDIS_URL } from '../helpers/services.js'

// These run the real CLI in a child process: a command that leaves a handle
// open after an error prints the error and never exits, which only the
// process itself shows. Each run has a deadline and must end before it.

// Starting tsx and the demo's services takes a few seconds on a loaded machine; a hang never ends.
const DEADLINE_MS = 45_000

describe('cutover demo serve exits after an error', () => {
  let db: MysqlForTest
  let r: RedisForTest
  let busy: Server
  let busyPort: number
  beforeAll(async () => {
    db = await mysqlForTest('serveexit')
    r = redisForTest('serveexit')
    busy = createServer()
    await new Promise<void>((ready) => busy.listen(0, '127.0.0.1', ready))
    busyPort = (busy.address() as { port: number }).port
  })
  afterAll(async () => {
    await new Promise((closed) => busy.close(closed))
    await db.cleanup()
    await r.cleanup()
  })

  it('a listen error (port in use) closes the stack and its worker: exit 1, the process ends', async () => {
    const run = await runCliProcess(['demo', 'serve', '--port', String(busyPort), '--database', db.database, '--prefix', r.prefix], {
      env: { MYSQL_URL, REDIS_URL },
      timeoutMs: DEADLINE_MS,
    })
    expect(run.timedOut, `still running after ${DEADLINE_MS} ms; stderr: ${run.stderr}`).toBe(false)
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/EADDRINUSE/)
  }, DEADLINE_MS + 15_000)

  it.each([
    [['--port', '99999'], /--port.*0 to 65535.*"99999"/],
    [['--port=-1'], /--port.*"-1"/],
    [['--port', '80.5'], /--port.*"80\.5"/],
    [['--port', 'http'], /--port.*"http"/],
    [['--host', '999.1.1.1'], /--host.*"999\.1\.1\.1"/],
  ])('%j is a usage error: exit 2 with CUTOVER_ERR_CLI_USAGE, the process ends', async (args, message) => {
    const run = await runCliProcess(['demo', 'serve', ...args, '--database', db.database, '--prefix', r.prefix], {
      env: { MYSQL_URL, REDIS_URL },
      timeoutMs: DEADLINE_MS,
    })
    expect(run.timedOut, `still running after ${DEADLINE_MS} ms; stderr: ${run.stderr}`).toBe(false)
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/CUTOVER_ERR_CLI_USAGE/)
    expect(run.stderr).toMatch(message)
  }, DEADLINE_MS + 15_000)
})
