import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { NoiseModel } from '../../src/shadow/noise-model.js'
import { loadNoise, saveNoise } from '../../src/shadow/noise-store.js'
import { createShadowWriter } from '../../src/shadow/writer.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'

describe('noise evidence in MySQL', () => {
  let db: MysqlForTest
  beforeAll(async () => {
    db = await mysqlForTest('noise')
    await migrate({ url: db.url })
  })
  afterAll(async () => db.cleanup())

  it('survives a restart: a new model loads what the writer saved on close', async () => {
    const learned = new NoiseModel()
    for (let i = 0; i < 6; i++) learned.observe('products.list', ['/items/*/updatedAt'], ['/items/*/price'], 1000)
    const writer = createShadowWriter({ pool: db.pool, pruneEveryMs: 0, noise: learned })
    await writer.close()
    const fresh = new NoiseModel()
    expect(fresh.isNoise('products.list', '/items/*/updatedAt', 1000)).toBe(false)
    expect(await loadNoise(db.pool, fresh)).toBe(2)
    expect(fresh.isNoise('products.list', '/items/*/updatedAt', 1000)).toBe(true)
    expect(fresh.isNoise('products.list', '/items/*/price', 1000)).toBe(false)
  })

  it('keeps the newer evidence when instances save out of order', async () => {
    const newer = new NoiseModel()
    newer.observe('r', [], ['/a'], 5000)
    const older = new NoiseModel()
    for (let i = 0; i < 9; i++) older.observe('r', ['/a'], [], 4000)
    await saveNoise(db.pool, newer)
    await saveNoise(db.pool, older)
    const m = new NoiseModel()
    await loadNoise(db.pool, m)
    expect(m.estimate('r', '/a', 5000)).toMatchObject({ noisy: 0, quiet: 1 })
  })
})
