import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { isRouteMode, type RouteFlagInput } from '../../flags/route-state.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { describeState, targetHelp, targetOptions, writerFor } from '../flags-target.js'

function numberArg(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new CUTOVER_ERR_CLI_USAGE(`--${name} expects a number, got ${JSON.stringify(value)}`)
  return n
}

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
    if (!isRouteMode(values.mode)) throw new CUTOVER_ERR_CLI_USAGE(`--mode must be off, shadow, canary or on, got ${JSON.stringify(values.mode ?? null)}`)
    const percent = numberArg('percent', values.percent)
    const shadowRate = numberArg('shadow-rate', values['shadow-rate'])
    const input: RouteFlagInput = {
      mode: values.mode,
      ...(percent !== undefined ? { percent } : {}),
      ...(shadowRate !== undefined ? { shadowRate } : {}),
    }
    const routeId = positionals[0] as string
    const state = await writerFor(values, io.env).setRoute(routeId, input)
    io.out(describeState(routeId, state))
    return 0
  },
}
