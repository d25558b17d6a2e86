import { migrate } from '../../db/migrate.js'
import { openMysqlPool } from '../../demo/services.js'
import { MYSQL_URL_SETTING, mysqlUrlOption, parseOptions, type CliCommand } from '../command.js'
import { existingDirectory, integer } from '../option-values.js'

const lockSeconds = integer({ min: 0, unit: 'seconds' })

export const dbMigrate: CliCommand = {
  name: ['db', 'migrate'],
  summary: 'apply the SQL migrations (shadow tables and others) to a MySQL database',
  help: `usage: cutover db migrate [--db mysql://user@host:3306/database] [--dir migrations] [--lock-timeout 30]

Applies migrations/NNNN_*.sql in order, each once, recorded in the table
cutover_migrations, under a MySQL named lock so two instances can't race.
Refuses (exit 1, CUTOVER_ERR_DB_MIGRATION_CHANGED) when a migration that was
already applied has been edited: add a new numbered file instead.

  --db            mysql:// URL naming the database (default: $CUTOVER_MYSQL_URL, then $MYSQL_URL)
  --dir           directory of migration files, must exist (default: the package's migrations/)
  --lock-timeout  whole seconds to wait for another instance's lock (default 30)`,
  async run(argv, io) {
    const { values } = parseOptions(argv, { db: { type: 'string' }, dir: { type: 'string' }, 'lock-timeout': { type: 'string' } })
    const url = mysqlUrlOption(values.db, io.env)
    const lockTimeoutS = values['lock-timeout'] === undefined ? 30 : lockSeconds('--lock-timeout', values['lock-timeout'])
    const dir = values.dir === undefined ? undefined : existingDirectory('--dir', values.dir)
    // Reached first, so an unreachable server is a coded error naming where the URL came from.
    await (await openMysqlPool(url, MYSQL_URL_SETTING, 1)).end()
    const result = await migrate({ url, lockTimeoutS, log: (l) => io.out(l), ...(dir ? { dir } : {}) })
    io.out(result.applied.length === 0 ? `up to date (${result.upToDate.length} applied before)` : `applied ${result.applied.length}: ${result.applied.join(', ')}`)
    return 0
  },
}
