import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { ROUTE_MODES } from '../../flags/flag-source.js'
import type { RouteFlagInput } from '../../flags/route-state.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { describeState, routeIdArguments, targetHelp, targetOptions, writerFor } from '../flags-target.js'
import { decimalNumber, oneOf } from '../option-values.js'

const routeMode = oneOf(ROUTE_MODES)

export const flagsSet: CliCommand = {
  name: ['flags', 'set'],
  summary: "set a route's mode, canary percentage and shadow rate",
  help: `usage: cutover flags set <route-id> --mode off|shadow|canary|on [--percent N] [--shadow-rate R] [target]

  --mode MODE          off, shadow, canary or on
  --percent N          canary percentage, 0..100 (required with --mode canary)
  --shadow-rate R      share of legacy requests shadowed in shadow mode, 0..1 (default 0.1)

Creates the route's flag when missing. The route's stickiness group is kept,
so users in the canary at 10% stay in at 50%.

${targetHelp}`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, {
      ...targetOptions,
      mode: { type: 'string' },
      percent: { type: 'string' },
      'shadow-rate': { type: 'string' },
    })
    if (positionals.length !== 1) throw new CUTOVER_ERR_CLI_USAGE('give exactly one route id')
    const [routeId] = routeIdArguments(positionals) as [string]
    if (values.mode === undefined) throw new CUTOVER_ERR_CLI_USAGE(`missing --mode (${ROUTE_MODES.join(', ')})`)
    const mode = routeMode('--mode', values.mode)
    // Only that they are numbers: their ranges are the flag's own rule (CUTOVER_ERR_FLAGS_STATE_INVALID).
    const percent = values.percent === undefined ? undefined : decimalNumber('--percent', values.percent)
    const shadowRate = values['shadow-rate'] === undefined ? undefined : decimalNumber('--shadow-rate', values['shadow-rate'])
    const input: RouteFlagInput = {
      mode,
      ...(percent !== undefined ? { percent } : {}),
      ...(shadowRate !== undefined ? { shadowRate } : {}),
    }
    const state = await writerFor(values, io.env).setRoute(routeId, input)
    io.out(describeState(routeId, state))
    return 0
  },
}
