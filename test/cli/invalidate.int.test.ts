import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from '../helpers/cli.js'
import type { FastifyInstance } from 'fastify'
import { runCli } from '../../src/cli/run.js'
import { appWith, eventually } from '../helpers/app.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'


describe('cutover invalidate', () => {
  let r: RedisForTest
  let app: FastifyInstance
  let renders = 0
  beforeAll(async () => {
    r = redisForTest('cli-inv')
    // A generous timeout: a loaded machine must not turn this into a fail-open test.
    app = await appWith({ redis: r.connect(), prefix: r.prefix, memory: { maxBytes: 1 << 20, maxTtl: 60 }, timeout: 5000 })
    app.get('/p', { config: { cutover: { id: 'p', ttl: 60, tags: ['products'] } } }, async () => ({ n: ++renders }))
    await app.ready()
  })
  afterAll(async () => {
    await app.close()
    await r.cleanup()
  })

  it('hard-purges a tag the app uses, so the next request renders again', async () => {
    await app.inject('/p')
    expect((await app.inject('/p')).headers['cache-status']).toMatch(/^cutover; hit/)
    const out = io()
    const code = await runCli(['invalidate', '--tag', 'products', '--hard', '--redis-url', REDIS_URL, '--prefix', r.prefix, '--json'], out)
    expect(code).toBe(0)
    expect(JSON.parse(out.lines[0]!)).toEqual({ tags: { products: { version: 1, hard: 1 } }, deleted: 0 })
    // The app's memory layer was dropped through pub/sub: the page renders again.
    await eventually(async () => (await app.inject('/p')).headers['cache-status'] === 'cutover; fwd=miss; stored')
    expect(renders).toBe(2)
  })

  it('exits 2 with a usage error when nothing to purge is given, or an unknown flag', async () => {
    const out = io()
    expect(await runCli(['invalidate'], out)).toBe(2)
    expect(out.errors.join('\n')).toMatch(/CUTOVER_ERR_CLI_USAGE.*--tag/)
    expect(await runCli(['invalidate', '--tags', 'x'], io())).toBe(2)
  })

  it('exits 1 naming the URL when Redis is unreachable', async () => {
    const out = io()
    expect(await runCli(['invalidate', '--tag', 'x', '--redis-url', 'redis://127.0.0.1:1'], out)).toBe(1)
    expect(out.errors.join('\n')).toMatch(/CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE: Redis is not reachable at redis:\/\/127\.0\.0\.1:1 .*set --redis-url/)
  })

  it('prints help', async () => {
    const out = io()
    expect(await runCli(['invalidate', '--help'], out)).toBe(0)
    expect(out.lines.join('\n')).toMatch(/usage: cutover invalidate/)
  })
})
