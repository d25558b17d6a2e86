import mysql from 'mysql2/promise'
import { MYSQL_URL, uniqueSuffix } from './services.js'

export interface MysqlForTest {
  pool: mysql.Pool
  /** The database created for this test; dropped by cleanup(). */
  database: string
  /** A mysql:// URL pointing at that database. */
  url: string
  cleanup(): Promise<void>
}

/** Creates a database of its own for one test file and drops it afterwards. */
export async function mysqlForTest(name = 't'): Promise<MysqlForTest> {
  const database = `cutover_test_${name}_${uniqueSuffix()}`.replace(/[^a-z0-9_]/gi, '_')
  const admin = await mysql.createConnection({ uri: MYSQL_URL })
  await admin.query(`CREATE DATABASE \`${database}\``)
  await admin.end()
  const url = new URL(MYSQL_URL)
  url.pathname = `/${database}`
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 5, multipleStatements: false })
  return {
    pool,
    database,
    url: url.toString(),
    async cleanup() {
      await pool.end()
      const conn = await mysql.createConnection({ uri: MYSQL_URL })
      await conn.query(`DROP DATABASE IF EXISTS \`${database}\``)
      await conn.end()
    },
  }
}
