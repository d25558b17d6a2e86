import { defineCommand, opt } from '../define.js'
import { existingDirectory, integer } from '../option-values.js'
import { mysqlDatabaseOption } from '../shared-options.js'

export const dbMigrate = defineCommand({
  name: ['db', 'migrate'],
  summary: 'apply the SQL migrations (shadow tables, playbook journal) to a MySQL database',
  description: `Applies migrations/NNNN_*.sql in order, each once, recorded in the table
cutover_migrations, under a MySQL named lock so two instances can't race.
Refuses (exit 1, CUTOVER_ERR_DB_MIGRATION_CHANGED) when a migration that was
already applied has been edited: add a new numbered file instead.`,
  options: {
    ...mysqlDatabaseOption,
    dir: opt.value(existingDirectory, 'directory of migration files, must exist', { placeholder: 'DIR', defaultText: "the package's migrations/" }),
    'lock-timeout': opt.withDefault(integer({ min: 0, unit: 'seconds' }), 30, 'whole seconds to wait for another instance\'s lock', { placeholder: 'S' }),
  },
  async run({ options: o }, io) {
    const { migrateDatabase } = await import('../work/db.js')
    const result = await migrateDatabase({ url: o.db, lockTimeoutS: o['lock-timeout'], dir: o.dir, log: io.out })
    io.out(result.applied.length === 0 ? `up to date (${result.upToDate.length} applied before)` : `applied ${result.applied.length}: ${result.applied.join(', ')}`)
    return 0
  },
})
