import { pause } from '../../playbook/control.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { runControl } from '../playbook-control.js'
import { journalHelp, journalOptions } from '../playbook-services.js'

export const playbookPause: CliCommand = {
  name: ['playbook', 'pause'],
  summary: 'pause a playbook or one route: no advance and no step-back until resumed',
  help: `usage: cutover playbook pause <playbook.yaml> [--route ID] [--db URL] [--by NAME]

Journals a pause. A paused playbook decides nothing (no gate is read, no
stage entered); a paused route keeps its stage while the others go on.
Holds keep running. \`cutover playbook rollback\` works while paused.

  --route ID      pause this route only
${journalHelp}

Exit codes: 0 paused (or it was), 1 it does not apply, 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, { ...journalOptions, route: { type: 'string' } })
    return runControl(positionals, values, io, (o) => pause(o, values.route ?? null))
  },
}
