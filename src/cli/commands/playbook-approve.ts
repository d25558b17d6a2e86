import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { approve } from '../../playbook/control.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { runControl } from '../playbook-control.js'
import { journalHelp, journalOptions } from '../playbook-services.js'

export const playbookApprove: CliCommand = {
  name: ['playbook', 'approve'],
  summary: "approve a stage's manual gate",
  help: `usage: cutover playbook approve <playbook.yaml> (--route ID | --queue) [--stage NAME] [--db URL] [--by NAME]

Journals an approval of the manual gate of the route's current stage (or of
--stage, ahead of time); the runner advances at its next tick if the other
gates pass and the hold is spent. An approval counts for one stay in the
stage: a route that steps back and returns needs a new one.

  --route ID      the route
  --queue         the queue stages instead
  --stage NAME    the stage (default: where the route or the queue is now)
${journalHelp}

Exit codes: 0 approved, 1 it does not apply (no such route, no manual gate
in that stage), 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, { ...journalOptions, route: { type: 'string' }, queue: { type: 'boolean' }, stage: { type: 'string' } })
    if ((values.route === undefined) === (values.queue !== true)) throw new CUTOVER_ERR_CLI_USAGE('give --route ID or --queue')
    return runControl(positionals, values, io, (o) => approve(o, values.route ?? null, values.stage))
  },
}
