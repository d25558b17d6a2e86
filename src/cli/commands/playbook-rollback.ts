import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { rollback } from '../../playbook/control.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { targetHelp, targetOptions, writerFor } from '../flags-target.js'
import { runControl } from '../playbook-control.js'
import { journalHelp, journalOptions, openRedis, playbookArgument, queueControlFor, serviceHelp, serviceOptions } from '../playbook-services.js'

export const playbookRollback: CliCommand = {
  name: ['playbook', 'rollback'],
  summary: 'roll routes back to off now, at any time, and keep them there until resumed',
  help: `usage: cutover playbook rollback <playbook.yaml> (--route ID | --all) [--db URL] [--by NAME] [target]

Journals the rollback and writes the flags at once (off; the queue gate
override cleared), whatever the window and even while paused or while a
runner runs (it waits for the runner's tick to end, then goes first). The
routes stay off until \`cutover playbook resume --route ID\`.

  --route ID      one route
  --all           every route the playbook has started
${journalHelp}
${serviceHelp}

${targetHelp}

Exit codes: 0 rolled back (or it was), 1 a write failed (journaled; the
runner retries it) or it does not apply, 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, {
      ...targetOptions,
      ...journalOptions,
      ...serviceOptions,
      route: { type: 'string' },
      all: { type: 'boolean' },
    })
    if ((values.route === undefined) === (values.all !== true)) throw new CUTOVER_ERR_CLI_USAGE('give --route ID or --all')
    const writer = writerFor(values, io.env)
    const playbook = await playbookArgument(positionals)
    // Without Redis the flags are still written; the queue gate's reset is journaled as failed and retried by the runner.
    const redis = playbook.usesQueue ? await openRedis(values, io.env).catch(() => undefined) : undefined
    try {
      const queue = redis ? queueControlFor(redis, values) : undefined
      return await runControl(playbook, values, io, (o) => rollback(o, values.route ?? null), { writer, queue })
    } finally {
      redis?.disconnect()
    }
  },
}
