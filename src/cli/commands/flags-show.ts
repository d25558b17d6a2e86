import { defineCommand } from '../define.js'
import { describeState, targetOptions, writerFor } from '../flags-target.js'
import { routeId } from '../option-values.js'

export const flagsShow = defineCommand({
  name: ['flags', 'show'],
  summary: 'show route flags and the kill switch as stored',
  positionals: { name: 'route-id', help: 'the routes to show', read: routeId, min: 1 },
  options: targetOptions,
  async run({ options, positionals }, io) {
    const writer = writerFor(options)
    io.out(`kill switch: ${(await writer.getKill()) ? 'ON (every route off)' : 'off'}`)
    for (const id of positionals) io.out(describeState(id, await writer.getRoute(id)))
    return 0
  },
})
