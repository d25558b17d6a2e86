import { migrate, type MigrateResult } from '../../db/migrate.js'
import { openMysqlPool } from '../../demo/services.js'

/** Where a --db URL came from, for messages. */
export const MYSQL_URL_SETTING = '--db (or CUTOVER_MYSQL_URL, MYSQL_URL)'

export async function migrateDatabase(options: { url: string; lockTimeoutS: number; dir: string | undefined; log: (line: string) => void }): Promise<MigrateResult> {
  // Reached first, so an unreachable server is a coded error naming where the URL came from.
  await (await openMysqlPool(options.url, MYSQL_URL_SETTING, 1)).end()
  return migrate({ url: options.url, lockTimeoutS: options.lockTimeoutS, log: options.log, ...(options.dir ? { dir: options.dir } : {}) })
}
