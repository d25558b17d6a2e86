import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { defineCommand, opt } from '../define.js'
import { routeId, text } from '../option-values.js'
import { journalOptions, playbookFile } from '../playbook-services.js'

export const playbookApprove = defineCommand({
  name: ['playbook', 'approve'],
  summary: "approve a stage's manual gate",
  description: `Journals an approval of the manual gate of the route's current stage (or of
--stage, ahead of time); the runner advances at its next tick if the other
gates pass and the hold is spent. An approval counts for one stay in the
stage: a route that steps back and returns needs a new one. Give --route or --queue.`,
  positionals: playbookFile,
  options: {
    route: opt.value(routeId, 'the route', { placeholder: 'ID' }),
    queue: opt.flag('the queue stages instead'),
    stage: opt.value(text, 'the stage', { placeholder: 'NAME', defaultText: 'where the route or the queue is now' }),
    ...journalOptions,
  },
  exits: '1 it does not apply (no such route, no manual gate in that stage)',
  async run({ options: o, positionals: [file] }, io) {
    if ((o.route === undefined) === !o.queue) throw new CUTOVER_ERR_CLI_USAGE('give --route ID or --queue')
    const [{ runControl }, { approve }] = await Promise.all([import('../work/playbook.js'), import('../../playbook/control.js')])
    return runControl(file as string, o, io, (c) => approve(c, o.route ?? null, o.stage))
  },
})
