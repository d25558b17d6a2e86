import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { describeState, routeIdArguments, targetHelp, targetOptions, writerFor } from '../flags-target.js'

export const flagsShow: CliCommand = {
  name: ['flags', 'show'],
  summary: 'show route flags and the kill switch as stored',
  help: `usage: cutover flags show <route-id>... [target]

${targetHelp}`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, targetOptions)
    if (positionals.length === 0) throw new CUTOVER_ERR_CLI_USAGE('give at least one route id')
    const routeIds = routeIdArguments(positionals)
    const writer = writerFor(values, io.env)
    io.out(`kill switch: ${(await writer.getKill()) ? 'ON (every route off)' : 'off'}`)
    for (const routeId of routeIds) io.out(describeState(routeId, await writer.getRoute(routeId)))
    return 0
  },
}
