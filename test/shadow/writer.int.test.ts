import { createServer, type AddressInfo, type Socket } from 'node:net'
import mysql, { type RowDataPacket } from 'mysql2/promise'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { createShadowPool, createShadowWriter } from '../../src/shadow/writer.js'
import { eventually } from '../helpers/app.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { sampleRecord } from '../helpers/shadow-records.js'

const DAY = 86_400_000
const T0 = Date.UTC(2026, 10, 20, 12)

const count = async (db: MysqlForTest, sql: string): Promise<number> => Number((await db.pool.query<RowDataPacket[]>(sql))[0][0]?.n)

describe('shadow writer', () => {
  let db: MysqlForTest
  beforeAll(async () => {
    db = await mysqlForTest('writer')
    await migrate({ url: db.url })
  })
  beforeEach(async () => {
    for (const t of ['shadow_samples', 'shadow_diffs', 'shadow_examples', 'shadow_reservoir', 'shadow_daily']) await db.pool.query(`DELETE FROM ${t}`)
  })
  afterAll(async () => db.cleanup())

  it('writes samples with their differing paths in batches', async () => {
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0, batchSize: 2 })
    w.write(sampleRecord({ sampling: { rate: 0.1, effectiveRate: 0.025 } }))
    w.write(sampleRecord({ outcome: 'match', cause: null, diffs: [], patch: null }))
    w.write(sampleRecord({ route: 'other' }))
    await w.close()
    expect(w.stats()).toMatchObject({ written: 3, dropped: 0, capped: 0 })
    const [rows] = await db.pool.query<RowDataPacket[]>(
      'SELECT route, outcome, cause, page_age_ms, control_db_calls, control_refresh_jobs, candidate_refresh_jobs, candidate_ms, sample_rate, effective_rate FROM shadow_samples ORDER BY id',
    )
    expect(rows[0]).toMatchObject({
      route: 'products.list', outcome: 'mismatch', cause: 'logic', page_age_ms: 1500, control_db_calls: 1, control_refresh_jobs: 100, candidate_refresh_jobs: 0, candidate_ms: 1,
      sample_rate: 0.1, effective_rate: 0.025,
    })
    // A record without its rate (a handler called by other code) stores none.
    expect(rows[1]).toMatchObject({ sample_rate: null, effective_rate: null })
    expect(await count(db, 'SELECT COUNT(*) AS n FROM shadow_diffs')).toBe(6)
    const [ignored] = await db.pool.query<RowDataPacket[]>("SELECT ignored_reason FROM shadow_diffs WHERE path = '/meta' LIMIT 1")
    expect(ignored[0]?.ignored_reason).toBe('ignore: metadata')
  })

  it('caps samples per route per day and counts the rest', async () => {
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0, maxSamplesPerRouteDay: 3 })
    for (let i = 0; i < 5; i++) w.write(sampleRecord({ outcome: 'match', cause: null, diffs: [] }))
    w.write(sampleRecord({ at: T0 + DAY, outcome: 'match', cause: null, diffs: [] }))
    await w.close()
    expect(w.stats()).toMatchObject({ written: 4, capped: 2 })
    const [rows] = await db.pool.query<RowDataPacket[]>('SELECT DATE_FORMAT(day, "%Y-%m-%d") AS day, stored, capped FROM shadow_daily ORDER BY day')
    expect(rows.map((r) => ({ ...r }))).toEqual([{ day: '2026-11-20', stored: 3, capped: 2 }, { day: '2026-11-21', stored: 1, capped: 0 }])
  })

  it('keeps example diffs by reservoir sampling, not the first ones', async () => {
    const draws = [0.9, 0.1, 0.5, 0.0]
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0, examplesPerPath: 2, random: () => draws.shift() ?? 0.99 })
    const one = sampleRecord().diffs.slice(0, 1)
    for (let i = 0; i < 6; i++) w.write(sampleRecord({ at: T0 + i, url: `/api/products?page=${i}`, diffs: one }))
    await w.close()
    const [rows] = await db.pool.query<RowDataPacket[]>("SELECT slot, url FROM shadow_examples WHERE shape = '/items/*/price' ORDER BY slot")
    // offers 1 and 2 fill the slots; offer 3 draws 0.9*3 -> 2 (skipped), offer 4: 0.1*4 -> slot 0, offer 5: 0.5*5 -> 2 (skipped), offer 6: 0 -> slot 0
    expect(rows.map((r) => [r.slot, r.url])).toEqual([[0, '/api/products?page=5'], [1, '/api/products?page=1']])
    const [res] = await db.pool.query<RowDataPacket[]>("SELECT seen FROM shadow_reservoir LIMIT 1")
    expect(res[0]?.seen).toBe(6)
  })

  it('offers only samples that carry a diff to the example reservoirs', async () => {
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    const one = sampleRecord().diffs.slice(0, 1)
    w.write(sampleRecord({ url: '/api/products?page=1', diffs: one, patch: null }))
    w.write(sampleRecord({ url: '/api/products?page=2', diffs: one }))
    await w.close()
    const [rows] = await db.pool.query<RowDataPacket[]>('SELECT url FROM shadow_examples')
    expect(rows.map((r) => r.url)).toEqual(['/api/products?page=2'])
    expect(await count(db, 'SELECT COUNT(*) AS n FROM shadow_samples')).toBe(2)
  })

  it('prunes rows past the retention', async () => {
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0, retentionDays: 7, now: () => T0 + 10 * DAY })
    w.write(sampleRecord())
    w.write(sampleRecord({ at: T0 + 9 * DAY }))
    await w.flush()
    expect(await w.prune()).toBeGreaterThan(0)
    await w.close()
    expect(await count(db, 'SELECT COUNT(*) AS n FROM shadow_samples')).toBe(1)
    expect(await count(db, `SELECT COUNT(*) AS n FROM shadow_diffs WHERE at_ms < ${T0 + DAY}`)).toBe(0)
    expect(await count(db, "SELECT COUNT(*) AS n FROM shadow_daily WHERE day = '2026-11-20'")).toBe(0)
  })

  it('drops and counts samples when MySQL is down, without throwing or blocking write()', async () => {
    const pool = createShadowPool('mysql://root@127.0.0.1:1/nowhere')
    const errors: Error[] = []
    const w = createShadowWriter({ pool, pruneEveryMs: 0, maxQueue: 3, onError: (e) => errors.push(e) })
    for (let i = 0; i < 5; i++) w.write(sampleRecord())
    expect(w.stats()).toMatchObject({ queued: 3, dropped: 2 })
    await w.close()
    w.write(sampleRecord())
    expect(w.stats()).toMatchObject({ queued: 0, written: 0, dropped: 6, failedBatches: 1 })
    expect(errors).toHaveLength(1)
    await pool.end()
  })

  it('close() gives up within closeTimeoutMs when MySQL is a black hole, drops and counts what is left, says so with a coded error', async () => {
    // Accepts connections and never answers: the driver waits out its connect timeout (10 s by default) per batch.
    const sockets = new Set<Socket>()
    const hole = createServer((socket) => void sockets.add(socket))
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve))
    const port = (hole.address() as AddressInfo).port
    const pool = mysql.createPool({ uri: `mysql://root@127.0.0.1:${port}/nowhere`, connectionLimit: 1 })
    const errors: Error[] = []
    const w = createShadowWriter({ pool, pruneEveryMs: 0, batchSize: 1, closeTimeoutMs: 300, onError: (e) => errors.push(e) })
    for (let i = 0; i < 3; i++) w.write(sampleRecord())
    const started = Date.now()
    await w.close()
    const took = Date.now() - started
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(1500)
    // One batch is still being written; the two behind it are dropped now.
    expect(errors.map((e) => (e as Error & { code: string }).code)).toEqual(['CUTOVER_ERR_SHADOW_CLOSE_TIMEOUT'])
    expect(errors[0]!.message).toContain('2 queued samples dropped, 1 still being written')
    expect(w.stats()).toMatchObject({ queued: 0, written: 0, dropped: 2 })
    // When the connection finally fails, the batch in flight is counted as dropped too: every sample is accounted for.
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => hole.close(() => resolve()))
    await eventually(() => w.stats().dropped === 3)
    await pool.end().catch(() => {})
  })

  it('rejects bad options with a coded error', () => {
    expect(() => createShadowWriter({ pool: db.pool, batchSize: 0 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_SHADOW_OPTIONS_INVALID' }))
    expect(() => createShadowWriter({ pool: db.pool, closeTimeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_SHADOW_OPTIONS_INVALID' }))
  })
})
