import type { CliCommand } from '../command.js'
import { dbMigrate } from './db-migrate.js'

/** Every CLI command; each lives in its own file beside this one. */
export const commands: CliCommand[] = [dbMigrate]
