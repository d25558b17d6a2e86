import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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

describe('every command exits after an error once it has started opening things', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-exits-'))
  })
  afterAll(() => rm(dir, { recursive: true, force: true }))

  // Nothing listens on port 1: each of these fails while connecting, or after.
  const DOWN_MYSQL = 'mysql://root@127.0.0.1:1/cutover_exits'
  const DOWN_REDIS = 'redis://127.0.0.1:1'
  it.each([
    [['invalidate', '--tag', 't', '--redis-url', DOWN_REDIS], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE/],
    [['invalidate', '--tag', 't', '--redis-url', 'not a url'], 2, /CUTOVER_ERR_CLI_USAGE: expected --redis-url/],
    [['report', 'amplification', '--redis-url', DOWN_REDIS], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE/],
    [['report', 'shadow', '--db', DOWN_MYSQL, '--out', '<dir>'], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE/],
    [['db', 'migrate', '--db', DOWN_MYSQL], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE/],
    [['db', 'migrate', '--db', 'nonsense'], 2, /CUTOVER_ERR_CLI_USAGE: expected --db/],
    [['db', 'migrate', '--db', DOWN_MYSQL, '--dir', '/nonexistent'], 2, /CUTOVER_ERR_CLI_USAGE: expected --dir/],
    [['flags', 'kill', '--unleash-url', 'http://127.0.0.1:1/api', '--token', 't'], 1, /CUTOVER_ERR_FLAGS_ADMIN_FAILED/],
    [['demo', '--duration', '1', '--out', '<dir>'], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE: MySQL/, { MYSQL_URL: DOWN_MYSQL, REDIS_URL }],
    [['demo', 'shadow', '--duration', '1', '--out', '<dir>'], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE: Redis/, { MYSQL_URL, REDIS_URL: DOWN_REDIS }],
    [['demo', 'week', '--duration', '10', '--out', '<dir>'], 1, /CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE: MySQL/, { MYSQL_URL: DOWN_MYSQL, REDIS_URL }],
    [['demo', 'week', '--playbook', '/nonexistent.yaml'], 2, /CUTOVER_ERR_CLI_USAGE: expected --playbook/],
  ] as Array<[string[], number, RegExp, NodeJS.ProcessEnv?]>)('%j exits %i', async (args, code, message, env = {}) => {
    const run = await runCliProcess(args.map((a) => a.replace('<dir>', dir)), { env, timeoutMs: DEADLINE_MS })
    expect(run.timedOut, `still running after ${DEADLINE_MS} ms; stderr: ${run.stderr}`).toBe(false)
    expect(run.code, run.stderr).toBe(code)
    expect(run.stderr).toMatch(message)
  }, DEADLINE_MS + 15_000)
})
