import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { defineCommand, opt } from '../define.js'
import { targetOptions, writerFor } from '../flags-target.js'
import { routeId } from '../option-values.js'
import { journalOptions, playbookFile, serviceOptions } from '../playbook-services.js'

export const playbookRollback = defineCommand({
  name: ['playbook', 'rollback'],
  summary: 'roll routes back to off now, at any time, and keep them there until resumed',
  description: `Journals the rollback and writes the flags at once (off; the queue gate
override cleared), whatever the window and even while paused or while a
runner runs (it waits for the runner's tick to end, then goes first). The
routes stay off until \`cutover playbook resume --route ID\`. Give --route or --all.`,
  positionals: playbookFile,
  options: {
    route: opt.value(routeId, 'one route', { placeholder: 'ID' }),
    all: opt.flag('every route the playbook has started'),
    ...journalOptions,
    ...serviceOptions,
    ...targetOptions,
  },
  exits: '1 a write failed (journaled; the runner retries it) or it does not apply',
  async run({ options: o, positionals: [file] }, io) {
    if ((o.route === undefined) === !o.all) throw new CUTOVER_ERR_CLI_USAGE('give --route ID or --all')
    const writer = writerFor(o)
    const [work, { rollback }] = await Promise.all([import('../work/playbook.js'), import('../../playbook/control.js')])
    const playbook = await work.loadPlaybook(file as string)
    // Without Redis the flags are still written; the queue gate's reset is journaled as failed and retried by the runner.
    const redis = playbook.usesQueue ? await work.openRedis(o).catch(() => undefined) : undefined
    try {
      const queue = redis ? await work.queueControlFor(redis, o) : undefined
      return await work.runControl(file as string, o, io, (c) => rollback(c, o.route ?? null), { writer, ...(queue ? { queue } : {}) })
    } finally {
      redis?.disconnect()
    }
  },
})
