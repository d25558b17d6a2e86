import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { targetHelp, targetOptions, writerFor } from '../flags-target.js'

export const flagsKill: CliCommand = {
  name: ['flags', 'kill'],
  summary: 'kill switch: turn every cutover route off in every process (--off restores)',
  help: `usage: cutover flags kill [--off] [target]

Turns the fleet-wide kill switch on: every process's flag source serves every
route off (legacy path) within one refresh interval. The routes' own modes are
kept, so \`cutover flags kill --off\` brings them back as they were.
For a single process: CUTOVER_KILL=1 at start-up, or app.cutover.kill().

  --off                turn the kill switch off again

${targetHelp}`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, { ...targetOptions, off: { type: 'boolean' } })
    if (positionals.length > 0) throw new CUTOVER_ERR_CLI_USAGE(`unexpected argument ${JSON.stringify(positionals[0])}`)
    const on = values.off !== true
    await writerFor(values, io.env).setKill(on)
    io.out(on ? 'kill switch ON: every cutover route is off' : 'kill switch off: routes follow their flags again')
    return 0
  },
}
