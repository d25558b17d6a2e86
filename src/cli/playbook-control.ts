import type { ControlOptions, ControlResult } from '../playbook/control.js'
import { describeEvent } from '../playbook/describe.js'
import type { Playbook } from '../playbook/model.js'
import type { CliIO } from './command.js'
import { actor, openJournalPool, playbookArgument, type ServiceValues } from './playbook-services.js'

/** Opens the journal, runs a person's command on the playbook (or the one file named), prints what it journaled. */
export async function runControl(
  playbook: Playbook | string[],
  values: ServiceValues,
  io: CliIO,
  command: (options: ControlOptions) => Promise<ControlResult>,
  extra: Partial<ControlOptions> = {},
): Promise<number> {
  const pb = Array.isArray(playbook) ? await playbookArgument(playbook) : playbook
  const pool = openJournalPool(values, io.env)
  try {
    const result = await command({ playbook: pb, pool, by: actor(values, io.env), ...extra })
    if (result.note !== undefined) io.out(result.note)
    for (const e of result.events) io.out(describeEvent(e.body))
    return result.events.some((e) => e.body.kind === 'action_failed') ? 1 : 0
  } finally {
    await pool.end()
  }
}
