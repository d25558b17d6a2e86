import type { FastifyInstance } from 'fastify'
import type { RowDataPacket } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { renderShadowHtml } from '../../src/report/shadow-html.js'
import { renderShadowJson, renderShadowMarkdown } from '../../src/report/shadow-markdown.js'
import { buildShadowReport } from '../../src/report/shadow-model.js'
import { loadShadowData } from '../../src/report/shadow-query.js'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createShadowRunner } from '../../src/shadow/runner.js'
import { createShadowWriter, type ShadowWriter } from '../../src/shadow/writer.js'
import { appWith, eventually } from '../helpers/app.js'
import { StaticFlagSource } from '../helpers/flags.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { listening } from './wire.js'

// Secrets with characters that make every encoding of them differ from the raw value.
const QUERY_TOKEN = 'qt/7f3a+9c"&é'
const API_KEY_PARAM = 'ak-55e1d0c4'
const SID_PARAM = 'sid-custom-8b8b'
const HEADER_KEY = 'hk-2f2f2f/xyz'
const TENANT_KEY = 'tenant-77aa11'
const BEARER = 'bearer-c0ffee42'
const SESSION = 'sess-d00d1234'
const SECRETS = [QUERY_TOKEN, API_KEY_PARAM, SID_PARAM, HEADER_KEY, TENANT_KEY, BEARER, SESSION]

/** Every form the app below writes a secret in: a stored row must hold none of them. */
const formsOf = (s: string): string[] => [
  s,
  encodeURIComponent(s),
  new URLSearchParams({ v: s }).toString().slice(2),
  JSON.stringify(s).slice(1, -1),
  JSON.stringify(JSON.stringify(s)).slice(1, -1),
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;'),
  Buffer.from(s).toString('base64'),
]

/**
 * A real app in shadow mode whose pages echo what the request carried (the
 * query's token and api_key, an API key header, credentials, a cookie) in
 * JSON, HTML and text, raw and encoded; its page path differs from its legacy
 * path wherever it echoes, so every echo lands in a diff, an example and a
 * patch. No row written to MySQL, and no report made of them, may hold one.
 */
describe('secrets a response echoes never reach shadow storage', () => {
  let db: MysqlForTest
  let app: FastifyInstance
  let writer: ShadowWriter
  const records: ShadowRecord[] = []

  beforeAll(async () => {
    db = await mysqlForTest('echo')
    await migrate({ url: db.url })
    const runner = createShadowRunner({
      sink: { write: (r) => (records.push(r), writer.write(r)) },
      routes: Object.fromEntries(['echo.json', 'echo.html', 'echo.text'].map((id) => [id, { secretHeaders: ['x-tenant-key'], secretQueryParams: ['sid'] }])),
      secondaryRate: 1,
      freshRate: 1,
    })
    writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0, noise: runner.noise })
    const flags = new StaticFlagSource({
      'echo.json': { mode: 'shadow', shadowRate: 1 },
      'echo.html': { mode: 'shadow', shadowRate: 1 },
      'echo.text': { mode: 'shadow', shadowRate: 1 },
    })
    app = await appWith({ flags, shadow: runner.handler })
    const echoed = (request: { url: string; query: unknown; headers: Record<string, unknown> }): string[] => {
      const q = request.query as Record<string, string | undefined>
      return [q.token, q.api_key, q.sid, request.headers['x-api-key'], request.headers['x-tenant-key'], request.headers.authorization, request.headers.cookie, request.url]
        .filter((v): v is string => typeof v === 'string')
    }
    const config = (id: string) => ({ config: { cutover: { id, ttl: 30, query: true as const } } })
    app.get('/echo.json', config('echo.json'), async (request, reply) => {
      const side = String(reply.getHeader('cutover-path'))
      const values = echoed(request)
      return {
        side,
        echo: values.map((v) => `${side}:${v}`),
        byKey: Object.fromEntries(values.map((v) => [v, side])),
        link: `/next?token=${encodeURIComponent(values[0] ?? '')}&side=${side}`,
        nested: JSON.stringify({ side, values }),
        b64: values.map((v) => Buffer.from(v).toString('base64') + side),
      }
    })
    app.get('/echo.html', config('echo.html'), async (request, reply) => {
      const side = String(reply.getHeader('cutover-path'))
      const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;')
      const lines = echoed(request).map((v) => `<p data-side="${side}">${esc(v)}</p>\n<a href="/x?t=${encodeURIComponent(v)}">${side}</a>`)
      return reply.type('text/html').send(`<html>\n${lines.join('\n')}\n</html>\n`)
    })
    app.get('/echo.text', config('echo.text'), async (request, reply) => {
      const side = String(reply.getHeader('cutover-path'))
      return reply.type('text/plain').send(echoed(request).map((v) => `${side} ${v}`).join('\n') + '\n')
    })
    await listening(app)
  })
  afterAll(async () => {
    await app?.close()
    await writer?.close()
    await db?.cleanup()
  })

  it('stores diffs, examples, patches and noise for echoing routes with no secret in any row', async () => {
    const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`
    const query = new URLSearchParams({ token: QUERY_TOKEN, api_key: API_KEY_PARAM, sid: SID_PARAM, page: '1' }).toString()
    const headers = {
      'x-api-key': HEADER_KEY,
      'x-tenant-key': TENANT_KEY,
      authorization: `Bearer ${BEARER}`,
      cookie: `session=${SESSION}; theme=dark`,
      accept: 'application/json',
      'user-agent': `probe ${QUERY_TOKEN}`,
    }
    let n = 0
    for (const path of ['/echo.json', '/echo.html', '/echo.text']) {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${base}${path}?${query}`, { headers })
        expect(res.status).toBe(200)
        await res.arrayBuffer()
        n++
        await eventually(() => records.length >= n)
      }
    }
    await writer.flush()
    await writer.close()
    expect(writer.stats()).toMatchObject({ written: n, dropped: 0 })

    const [tables] = await db.pool.query<RowDataPacket[]>('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [db.database])
    let dump = ''
    for (const { t } of tables) {
      const [rows] = await db.pool.query<RowDataPacket[]>(`SELECT * FROM \`${String(t)}\``)
      dump += `\n${String(t)} ${JSON.stringify(rows)}`
    }
    // The comparisons ran and were stored: mismatches with examples and patches, for each route.
    for (const route of ['echo.json', 'echo.html', 'echo.text']) expect(dump).toContain(`"route":"${route}"`)
    expect(dump).toMatch(/shadow_examples \[.*"patch":"=+\\n--- control/)
    expect(dump).toContain('[redacted]')
    expect(dump).toMatch(/shadow_noise \[\{/)
    for (const secret of SECRETS) for (const form of formsOf(secret)) expect(dump, `${secret} as ${form}`).not.toContain(form)

    const report = buildShadowReport(await loadShadowData(db.pool, {}), { generatedAt: Date.now(), window: { from: null, to: null } })
    const rendered = [renderShadowJson(report), renderShadowMarkdown(report), renderShadowHtml(report)].join('\n')
    expect(rendered).toContain('echo.json')
    for (const secret of SECRETS) for (const form of formsOf(secret)) expect(rendered, `${secret} as ${form}`).not.toContain(form)
  })
})
