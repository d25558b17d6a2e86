import { defineCommand, opt } from '../define.js'
import { routeId } from '../option-values.js'
import { journalOptions, playbookFile } from '../playbook-services.js'

export const playbookPause = defineCommand({
  name: ['playbook', 'pause'],
  summary: 'pause a playbook or one route: no advance and no step-back until resumed',
  description: `Journals a pause. A paused playbook decides nothing (no gate is read, no
stage entered); a paused route keeps its stage while the others go on.
Holds keep running. \`cutover playbook rollback\` works while paused.`,
  positionals: playbookFile,
  options: { route: opt.value(routeId, 'pause this route only', { placeholder: 'ID' }), ...journalOptions },
  exits: '1 it does not apply',
  async run({ options: o, positionals: [file] }, io) {
    const [{ runControl }, { pause }] = await Promise.all([import('../work/playbook.js'), import('../../playbook/control.js')])
    return runControl(file as string, o, io, (c) => pause(c, o.route ?? null))
  },
})
