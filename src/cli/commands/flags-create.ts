import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { routeIdArguments, targetHelp, targetOptions, writerFor } from '../flags-target.js'

export const flagsCreate: CliCommand = {
  name: ['flags', 'create'],
  summary: 'create the route flags (mode off) and the kill switch in Unleash or a flags file',
  help: `usage: cutover flags create <route-id>... [target]

Route ids follow the rule of config.cutover.id (1-128 characters of letters,
digits, . _ - : /); Unleash flag names also refuse : and /.

Creates a flag per route that has none yet (mode off, flexibleRollout with a
fixed groupId and the cutover variant; see README "Flags in Unleash"), and the
kill-switch flag. Existing flags are left as they are.

${targetHelp}`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, targetOptions)
    if (positionals.length === 0) throw new CUTOVER_ERR_CLI_USAGE('give at least one route id')
    const routeIds = routeIdArguments(positionals)
    const writer = writerFor(values, io.env)
    const created = await writer.createRoutes(routeIds)
    for (const routeId of routeIds) io.out(`${routeId}: ${created.includes(routeId) ? 'created (off)' : 'exists'}`)
    return 0
  },
}
