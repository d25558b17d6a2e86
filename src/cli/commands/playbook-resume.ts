import { resume } from '../../playbook/control.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { runControl } from '../playbook-control.js'
import { journalHelp, journalOptions } from '../playbook-services.js'

export const playbookResume: CliCommand = {
  name: ['playbook', 'resume'],
  summary: 'resume a paused playbook or route, or a route rolled back to off',
  help: `usage: cutover playbook resume <playbook.yaml> [--route ID [--stage NAME]] [--db URL] [--by NAME]

Without --route: the paused playbook carries on. With --route: a paused
route carries on; a route rolled back to off (after a second gate failure, or
by \`rollback\`) is entered again at the next tick inside its window, at
--stage or by default at the stage before the one it was rolled back from,
with its failures forgotten.

  --route ID      the route
  --stage NAME    where a rolled-back route starts again
${journalHelp}

Exit codes: 0 resumed (or nothing was paused), 1 it does not apply (the route
is neither paused nor rolled back), 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, { ...journalOptions, route: { type: 'string' }, stage: { type: 'string' } })
    return runControl(positionals, values, io, (o) => resume(o, values.route ?? null, values.stage))
  },
}
