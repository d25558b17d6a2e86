import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { plan, renderPlan } from '../../playbook/plan.js'
import { needsKnownRoutes, resolveRoutes } from '../../playbook/routes.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { targetHelp, targetOptions, writerFor } from '../flags-target.js'
import { playbookArgument, timeScaleOption } from '../playbook-services.js'

export const playbookPlan: CliCommand = {
  name: ['playbook', 'plan'],
  summary: "dry run: each route's stages, when they would start, the flag writes",
  help: `usage: cutover playbook plan <playbook.yaml> [--start TIME] [--time-scale N] [--routes a,b] [--json] [target]

Prints, for each route, the stages in order with the time each would be
entered if every gate passed as its hold ends (windows and the number of
routes at a time applied), the writes each stage makes (flag, queue gate),
its gates; then the queue stages. Writes nothing.

  --start TIME     when the run starts, ISO 8601 (default: now)
  --time-scale N   as apply's: holds and windows run N times faster
  --routes a,b     the route ids to plan for, instead of the playbook's
                   patterns matched against the flag target's routes
  --json           the plan as JSON

${targetHelp}
  (a target is needed only for route patterns, when --routes is not given)

Exit codes: 0 printed, 1 the playbook is invalid, 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, {
      ...targetOptions,
      start: { type: 'string' },
      'time-scale': { type: 'string' },
      routes: { type: 'string' },
      json: { type: 'boolean' },
    })
    const playbook = await playbookArgument(positionals)
    const start = values.start === undefined ? Date.now() : Date.parse(values.start)
    if (!Number.isFinite(start)) throw new CUTOVER_ERR_CLI_USAGE(`--start expects an ISO 8601 time, got ${JSON.stringify(values.start)}`)
    let routes: string[]
    if (values.routes !== undefined) {
      routes = values.routes.split(',').map((r) => r.trim()).filter((r) => r !== '')
    } else if (needsKnownRoutes(playbook.routes)) {
      const writer = writerFor(values, io.env)
      if (!writer.listRoutes) throw new CUTOVER_ERR_CLI_USAGE(`the ${writer.kind} target can't list routes; give --routes`)
      routes = resolveRoutes(playbook.routes, await writer.listRoutes())
    } else {
      routes = resolveRoutes(playbook.routes, [])
    }
    const result = plan({ playbook, routes, start, scale: timeScaleOption(values['time-scale']) })
    io.out(values.json ? JSON.stringify(result, null, 2) : renderPlan(result))
    return 0
  },
}
