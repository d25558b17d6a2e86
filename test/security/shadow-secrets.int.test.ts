import type { RowDataPacket } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import type { RenderedResponse } from '../../src/shadow/candidate-source.js'
import type { ShadowContext } from '../../src/shadow/hook.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter } from '../../src/shadow/writer.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'

const SECRETS = ['AUTHZ-7f3a9c', 'COOKIE-51be02', 'SETCOOKIE-c0ffee', 'CACHEDCOOKIE-d00d', 'BODYTOKEN-9e8d7c', 'CARD-4111-1111', 'QUERYTOKEN-abc123']

describe('secrets never reach the database', () => {
  let db: MysqlForTest
  beforeAll(async () => {
    db = await mysqlForTest('secrets')
    await migrate({ url: db.url })
  })
  afterAll(async () => db.cleanup())

  it('redacts headers, cookies, configured body paths and echoed secrets in every stored column', async () => {
    const writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    const json = (v: unknown, headers: Record<string, string> = {}): RenderedResponse => ({
      status: 200, headers: { 'content-type': 'application/json', ...headers }, body: Buffer.from(JSON.stringify(v)), durationMs: 2,
    })
    const control = json(
      { user: { name: 'ann', token: 'BODYTOKEN-9e8d7c', cards: [{ number: 'CARD-4111-1111' }] }, echo: 'AUTHZ-7f3a9c', price: 1 },
      { 'set-cookie': 'sid=SETCOOKIE-c0ffee; Path=/; HttpOnly' },
    )
    const cached = json(
      { user: { name: 'bob', token: 'BODYTOKEN-other', cards: [] }, echo: 'COOKIE-51be02', price: 2 },
      { 'set-cookie': 'sid=CACHEDCOOKIE-d00d' },
    )
    const text: RenderedResponse = { status: 200, headers: { 'content-type': 'text/plain' }, body: Buffer.from('hello AUTHZ-7f3a9c\n'), durationMs: 1 }
    const runner = createShadowRunner({
      sink: writer,
      routes: { 'account.me': { redactPaths: ['/user/token', '/user/cards/*/number'] } },
      secondaryRate: 1,
      source: {
        cached: async (ctx) => (ctx.request.routeId === 'account.me' ? { ...cached, ageMs: 10 } : undefined),
        fresh: async (ctx) => (ctx.request.routeId === 'account.me' ? cached : { ...text, body: Buffer.from('bye AUTHZ-7f3a9c COOKIE-51be02\n') }),
        legacy: async (ctx) => (ctx.request.routeId === 'account.me' ? control : text),
      },
    })
    const ctx = (routeId: string, control: RenderedResponse): ShadowContext => ({
      app: undefined as never,
      request: {
        routeId, method: 'GET', url: '/me?token=QUERYTOKEN-abc123&page=1',
        headers: { authorization: 'Bearer AUTHZ-7f3a9c', cookie: 'sid=COOKIE-51be02; theme=dark', accept: 'application/json' },
      },
      control: { status: control.status, headers: control.headers, body: control.body, durationMs: control.durationMs },
      signal: new AbortController().signal,
    })
    await runner.handler(ctx('account.me', control))
    await runner.handler(ctx('page.text', text))
    await writer.close()
    expect(writer.stats()).toMatchObject({ written: 2, dropped: 0 })

    let dump = ''
    for (const table of ['shadow_samples', 'shadow_diffs', 'shadow_examples', 'shadow_reservoir', 'shadow_daily']) {
      const [rows] = await db.pool.query<RowDataPacket[]>(`SELECT * FROM ${table}`)
      dump += JSON.stringify(rows)
    }
    // The comparison really happened and was stored: a leak, the differing paths, an example with its patch.
    expect(dump).toContain('"cause":"leak"')
    expect(dump).toContain('/user/token')
    expect(dump).toContain('[redacted]')
    expect(dump).toMatch(/"patch":"=+\\n--- control/)
    for (const secret of SECRETS) expect(dump).not.toContain(secret)
  })
})
