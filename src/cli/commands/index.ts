import type { DefinedCommand } from '../define.js'
import { flagsCreate } from './flags-create.js'
import { flagsKill } from './flags-kill.js'
import { flagsSet } from './flags-set.js'
import { flagsShow } from './flags-show.js'
import { invalidateCommand } from './invalidate.js'
import { reportAmplificationCommand } from './report-amplification.js'
import { demoCommand } from './demo.js'
import { demoServeCommand } from './demo-serve.js'
import { demoShadowCommand } from './demo-shadow.js'
import { demoWeekCommand } from './demo-week.js'
import { dbMigrate } from './db-migrate.js'
import { drainCommand } from './drain.js'
import { reportShadow } from './report-shadow.js'
import { playbookValidate } from './playbook-validate.js'
import { playbookPlan } from './playbook-plan.js'
import { playbookApply } from './playbook-apply.js'
import { playbookStatus } from './playbook-status.js'
import { playbookApprove } from './playbook-approve.js'
import { playbookPause } from './playbook-pause.js'
import { playbookResume } from './playbook-resume.js'
import { playbookRollback } from './playbook-rollback.js'

/** Every CLI command, in the order of the user's journey; each lives in its own file beside this one. */
export const commands: readonly DefinedCommand[] = [
  demoWeekCommand,
  demoCommand,
  demoServeCommand,
  demoShadowCommand,
  flagsCreate,
  flagsSet,
  flagsShow,
  flagsKill,
  reportAmplificationCommand,
  reportShadow,
  playbookValidate,
  playbookPlan,
  playbookApply,
  playbookStatus,
  playbookApprove,
  playbookPause,
  playbookResume,
  playbookRollback,
  drainCommand,
  invalidateCommand,
  dbMigrate,
]
