import type { CliCommand } from '../command.js'
import { dbMigrate } from './db-migrate.js'
import { invalidateCommand } from './invalidate.js'
import { reportShadow } from './report-shadow.js'

/** Every CLI command; each lives in its own file beside this one. */
export const commands: CliCommand[] = [invalidateCommand, dbMigrate, reportShadow]
