import type { RowDataPacket } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { consecutiveInsertIds, insertSamples } from '../../src/shadow/sample-rows.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { sampleRecord } from '../helpers/shadow-records.js'

describe('shadow sample rows', () => {
  let db: MysqlForTest
  beforeAll(async () => {
    db = await mysqlForTest('samplerows')
    await migrate({ url: db.url })
  })
  afterAll(async () => db.cleanup())

  for (const consecutive of [true, false]) {
    it(`hands back each sample's own id (${consecutive ? 'one statement for the batch' : 'one statement per sample'})`, async () => {
      const conn = await db.pool.getConnection()
      try {
        // Rows already there, so ids don't start at 1.
        await insertSamples(conn, [sampleRecord({ url: '/before' })], false)
        const records = Array.from({ length: 25 }, (_, i) => sampleRecord({ url: `/api/products?page=${i}`, at: 1000 + i }))
        const ids = await insertSamples(conn, records, consecutive)
        expect(new Set(ids).size).toBe(25)
        const [rows] = await conn.query<RowDataPacket[]>('SELECT id, url, at_ms, control_refresh_jobs FROM shadow_samples WHERE id IN (?)', [ids])
        const byId = new Map(rows.map((r) => [Number(r.id), r]))
        records.forEach((r, i) => expect(byId.get(ids[i]!)).toMatchObject({ url: r.url, at_ms: r.at, control_refresh_jobs: 100 }))
        expect(await insertSamples(conn, [], consecutive)).toEqual([])
      } finally {
        conn.release()
      }
    })
  }

  it('takes ids as consecutive only under the lock modes that promise it', async () => {
    const conn = await db.pool.getConnection()
    try {
      const [rows] = await conn.query<RowDataPacket[]>('SELECT @@innodb_autoinc_lock_mode AS mode')
      expect(await consecutiveInsertIds(conn)).toBe(Number(rows[0]?.mode) <= 1)
    } finally {
      conn.release()
    }
  })
})
