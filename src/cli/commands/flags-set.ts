import { ROUTE_MODES } from '../../flags/flag-source.js'
import { defineCommand, opt } from '../define.js'
import { describeState, targetOptions, writerFor } from '../flags-target.js'
import { decimalNumber, oneOf, routeId } from '../option-values.js'

export const flagsSet = defineCommand({
  name: ['flags', 'set'],
  summary: "set a route's mode, canary percentage and shadow rate",
  description: `Creates the route's flag when missing. The route's stickiness group is kept,
so users in the canary at 10% stay in at 50%. The ranges of --percent and
--shadow-rate are the flag's own rule (CUTOVER_ERR_FLAGS_STATE_INVALID, exit 1).`,
  positionals: { name: 'route-id', help: 'the route', read: routeId, min: 1, max: 1 },
  options: {
    mode: opt.required(oneOf(ROUTE_MODES), ROUTE_MODES.join(', '), { placeholder: 'MODE' }),
    percent: opt.value(decimalNumber, 'canary percentage, 0..100 (required with --mode canary)', { placeholder: 'N' }),
    'shadow-rate': opt.value(decimalNumber, 'share of legacy requests shadowed in shadow mode, 0..1 (the flag\'s default: 0.1)', { placeholder: 'R' }),
    ...targetOptions,
  },
  async run({ options: o, positionals: [id] }, io) {
    const input = { mode: o.mode, ...(o.percent !== undefined ? { percent: o.percent } : {}), ...(o['shadow-rate'] !== undefined ? { shadowRate: o['shadow-rate'] } : {}) }
    const state = await writerFor(o).setRoute(id as string, input)
    io.out(describeState(id as string, state))
    return 0
  },
})
