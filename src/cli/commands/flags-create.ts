import { defineCommand } from '../define.js'
import { targetOptions, writerFor } from '../flags-target.js'
import { routeId } from '../option-values.js'

export const flagsCreate = defineCommand({
  name: ['flags', 'create'],
  summary: 'create the route flags (mode off) and the kill switch in Unleash or a flags file',
  description: `Creates a flag per route that has none yet (mode off, flexibleRollout with a
fixed groupId and the cutover variant; see docs/flags.md), and the kill-switch
flag. Existing flags are left as they are. Unleash flag names also refuse
":" and "/".`,
  positionals: { name: 'route-id', help: 'route ids, by the rule of config.cutover.id (1-128 characters of letters, digits, . _ - : /)', read: routeId, min: 1 },
  options: targetOptions,
  async run({ options, positionals }, io) {
    const created = await writerFor(options).createRoutes(positionals)
    for (const id of positionals) io.out(`${id}: ${created.includes(id) ? 'created (off)' : 'exists'}`)
    return 0
  },
})
