import type { CliCommand } from '../command.js'
import { flagsCreate } from './flags-create.js'
import { flagsKill } from './flags-kill.js'
import { flagsSet } from './flags-set.js'
import { flagsShow } from './flags-show.js'
import { invalidateCommand } from './invalidate.js'
import { reportAmplificationCommand } from './report-amplification.js'
import { demoCommand } from './demo.js'
import { demoServeCommand } from './demo-serve.js'
import { demoShadowCommand } from './demo-shadow.js'
import { dbMigrate } from './db-migrate.js'
import { drainCommand } from './drain.js'
import { reportShadow } from './report-shadow.js'

/** Every CLI command; each lives in its own file beside this one. */
export const commands: CliCommand[] = [
  invalidateCommand,
  reportAmplificationCommand,
  demoCommand,
  demoServeCommand,
  demoShadowCommand,
  flagsCreate,
  flagsSet,
  flagsShow,
  flagsKill,
  dbMigrate,
  reportShadow,
  drainCommand,
]
