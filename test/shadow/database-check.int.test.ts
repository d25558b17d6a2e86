import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { NoiseModel } from '../../src/shadow/noise-model.js'
import { checkShadowDatabase, loadNoise } from '../../src/shadow/noise-store.js'
import { createShadowPool } from '../../src/shadow/writer.js'
import { migrate } from '../../src/db/migrate.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'
import { MYSQL_URL } from '../helpers/services.js'

const OPTION = /the url given to createShadowPool, such as CUTOVER_MYSQL_URL/

describe('the shadow database URL is checked when the shadow engine starts', () => {
  let db: MysqlForTest
  beforeAll(async () => {
    db = await mysqlForTest('shadowurl')
  })
  afterAll(async () => {
    await db.cleanup()
  })

  it.each([
    ['an unset variable', undefined],
    ['an empty string', ''],
    ['not a URL', 'localhost:3306'],
    ['another scheme', 'postgres://root@127.0.0.1/test'],
    ['no user', 'mysql://127.0.0.1:3306/test'],
    ['no database', 'mysql://root@127.0.0.1:3306'],
  ])('%s fails at once with a coded error naming the option', (_what, url) => {
    expect(() => createShadowPool(url as string)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_SHADOW_DATABASE_URL', message: expect.stringMatching(OPTION) }))
  })

  it('a password in a refused URL is not repeated in the error', () => {
    expect(() => createShadowPool('mysql://root:hunter2@127.0.0.1:3306')).toThrow(/root:\*\*\*@/)
    expect(() => createShadowPool('mysql://root:hunter2@127.0.0.1:3306')).not.toThrow(/hunter2/)
  })

  it.each([
    ['wrong credentials', (u: URL) => { u.username = 'nobody-here'; u.password = 'wrong' }, /Access denied.*check the user and password/],
    ['a database that does not exist', (u: URL) => { u.pathname = '/cutover_no_such_db_here' }, /Unknown database.*create it/],
    ['nothing listening', (u: URL) => { u.port = '1' }, /nothing answers at the URL's host and port/],
  ])('%s: loadNoise, the first query at start, fails with a coded error naming the option, not a bare MySQL error', async (_what, change, message) => {
    const url = new URL(MYSQL_URL)
    change(url)
    if (url.pathname.length <= 1) url.pathname = '/test'
    const pool = createShadowPool(url.toString())
    try {
      await expect(loadNoise(pool, new NoiseModel())).rejects.toMatchObject({ code: 'CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE', message: expect.stringMatching(message) })
      await expect(checkShadowDatabase(pool)).rejects.toMatchObject({ message: expect.stringMatching(OPTION) })
    } finally {
      await pool.end()
    }
  })

  it('a database without the shadow tables says to migrate; once migrated the check passes', async () => {
    const pool = createShadowPool(db.url)
    try {
      await expect(checkShadowDatabase(pool)).rejects.toMatchObject({ code: 'CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE', message: expect.stringMatching(/cutover db migrate/) })
      await migrate({ url: db.url })
      await expect(checkShadowDatabase(pool)).resolves.toBeUndefined()
      expect(await loadNoise(pool, new NoiseModel())).toBe(0)
    } finally {
      await pool.end()
    }
  })
})
