import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { defineCommand, opt } from '../define.js'
import { targetOptions, writerFor } from '../flags-target.js'
import { invalidOption, listOf, positiveNumber, routeId, type OptionReader } from '../option-values.js'
import { playbookFile } from '../playbook-services.js'

const isoTime: OptionReader<number> = (label, value) => {
  const at = Date.parse(value)
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || !Number.isFinite(at)) invalidOption(label, 'an ISO 8601 time', value)
  return at
}

export const playbookPlan = defineCommand({
  name: ['playbook', 'plan'],
  summary: "dry run: each route's stages, when they would start, the flag writes",
  description: `Prints, for each route, the stages in order with the time each would be
entered if every gate passed as its hold ends (windows and the number of
routes at a time applied), the writes each stage makes (flag, queue gate),
its gates; then the queue stages. Writes nothing. A flag target is needed
only to match the playbook's route patterns, when --routes is not given.`,
  positionals: playbookFile,
  options: {
    start: opt.value(isoTime, 'when the run starts, ISO 8601', { placeholder: 'TIME', defaultText: 'now' }),
    'time-scale': opt.withDefault(positiveNumber, 1, "as apply's: holds and windows run N times faster", { placeholder: 'N' }),
    routes: opt.value(listOf(routeId), "the route ids to plan for, comma-separated, instead of the playbook's patterns matched against the flag target's routes", { placeholder: 'a,b' }),
    json: opt.flag('the plan as JSON'),
    ...targetOptions,
  },
  exits: '1 the playbook is invalid',
  async run({ options: o, positionals: [file] }, io) {
    const [{ loadPlaybook }, { plan, renderPlan }, { needsKnownRoutes, resolveRoutes }] = await Promise.all([
      import('../../playbook/parse.js'),
      import('../../playbook/plan.js'),
      import('../../playbook/routes.js'),
    ])
    const playbook = await loadPlaybook(file as string)
    let routes: string[]
    if (o.routes !== undefined) routes = o.routes
    else if (needsKnownRoutes(playbook.routes)) {
      const writer = writerFor(o)
      if (!writer.listRoutes) throw new CUTOVER_ERR_CLI_USAGE(`the ${writer.kind} target can't list routes; give --routes`)
      routes = resolveRoutes(playbook.routes, await writer.listRoutes())
    } else routes = resolveRoutes(playbook.routes, [])
    const result = plan({ playbook, routes, start: o.start ?? Date.now(), scale: o['time-scale'] })
    io.out(o.json ? JSON.stringify(result, null, 2) : renderPlan(result))
    return 0
  },
})
