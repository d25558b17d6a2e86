import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { migrate } from '../../src/db/migrate.js'
import { readShadowReadiness } from '../../src/report/shadow-readiness.js'
import { createShadowWriter } from '../../src/shadow/writer.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { matchRecord, sampleRecord } from '../helpers/shadow-records.js'

describe('readShadowReadiness (for playbook gates)', () => {
  let db: MysqlForTest
  const t0 = Date.UTC(2026, 10, 20)
  beforeAll(async () => {
    db = await mysqlForTest('readiness')
    await migrate({ url: db.url })
    const w = createShadowWriter({ pool: db.pool, pruneEveryMs: 0 })
    for (let i = 0; i < 300; i++) w.write(matchRecord({ at: t0 + i }))
    w.write(sampleRecord({ at: t0 - 1000 }))
    await w.close()
  })
  afterAll(async () => db.cleanup())

  it('gives the verdict over the window the gate asks about', async () => {
    const ready = await readShadowReadiness(db.pool, { route: 'products.list', from: t0, to: t0 + 1000, policy: { maxMismatchRate: 0.02 } })
    expect(ready).toMatchObject({ samples: 300, mismatches: { logic: 0 }, verdict: { ready: true } })
    const withLogic = await readShadowReadiness(db.pool, { route: 'products.list', from: t0 - 5000, to: t0 + 1000, policy: { maxMismatchRate: 0.02 } })
    expect(withLogic).toMatchObject({ samples: 301, mismatches: { logic: 1 }, verdict: { ready: false } })
  })

  it('is not ready without samples', async () => {
    const none = await readShadowReadiness(db.pool, { route: 'nothing.here', from: t0, to: t0 + 1000 })
    expect(none).toMatchObject({ route: 'nothing.here', samples: 0, errors: 0, verdict: { ready: false } })
  })
})
