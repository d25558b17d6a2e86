import { defineCommand, opt } from '../define.js'
import { routeId, text } from '../option-values.js'
import { journalOptions, playbookFile } from '../playbook-services.js'

export const playbookResume = defineCommand({
  name: ['playbook', 'resume'],
  summary: 'resume a paused playbook or route, or a route rolled back to off',
  description: `Without --route: the paused playbook carries on. With --route: a paused
route carries on; a route rolled back to off (after a second gate failure, or
by \`rollback\`) is entered again at the next tick inside its window, at
--stage or by default at the stage before the one it was rolled back from,
with its failures forgotten.`,
  positionals: playbookFile,
  options: {
    route: opt.value(routeId, 'the route', { placeholder: 'ID' }),
    stage: opt.value(text, 'where a rolled-back route starts again', { placeholder: 'NAME' }),
    ...journalOptions,
  },
  exits: '1 it does not apply (the route is neither paused nor rolled back)',
  async run({ options: o, positionals: [file] }, io) {
    const [{ runControl }, { resume }] = await Promise.all([import('../work/playbook.js'), import('../../playbook/control.js')])
    return runControl(file as string, o, io, (c) => resume(c, o.route ?? null, o.stage))
  },
})
