import { defineCommand, opt } from '../define.js'
import { targetOptions, writerFor } from '../flags-target.js'
import { duration, positiveNumber } from '../option-values.js'
import { journalOptions, playbookFile, serviceOptions } from '../playbook-services.js'

export const playbookApply = defineCommand({
  name: ['playbook', 'apply'],
  summary: 'run a playbook: a controller that ticks until it completes (or --once, for cron)',
  description: `Applies the playbook: each tick reads the journal and the gates' figures,
enters the stages whose hold is spent and whose gates pass (inside their
window), steps a route back one stage on a failed gate and rolls it back to
off on a second failure, and makes the flag and queue writes, each journaled.
One runner per playbook: a second is refused (CUTOVER_ERR_PLAYBOOK_LOCKED).
A runner that is stopped or killed and started again carries on where the
journal says, holds as spent as they were.`,
  positionals: playbookFile,
  options: {
    once: opt.flag('one tick, then exit (for cron: e.g. every minute)'),
    interval: opt.value(duration, 'time between ticks, wall clock', { placeholder: 'D', defaultText: '30s divided by the time scale, at least 200ms' }),
    'time-scale': opt.withDefault(positiveNumber, 1, 'holds and windows run N times faster (a week in minutes for a demo); the journal records both clocks', { placeholder: 'N' }),
    json: opt.flag('journal events as JSON lines'),
    ...journalOptions,
    ...serviceOptions,
    ...targetOptions,
  },
  exits: '1 the playbook completed with a route rolled back, or failed (0 also when --once ticked or SIGINT/SIGTERM stopped it between ticks)',
  async run({ options: o, positionals: [file] }, io) {
    const writer = writerFor(o)
    const { apply } = await import('../work/playbook.js')
    return apply(
      {
        file: file as string,
        journal: { db: o.db, by: o.by },
        services: { 'redis-url': o['redis-url'], 'meter-prefix': o['meter-prefix'], 'bucket-seconds': o['bucket-seconds'], 'queue-prefix': o['queue-prefix'], 'queue-name': o['queue-name'], 'queue-driver': o['queue-driver'] },
        writer,
        once: o.once,
        json: o.json,
        intervalMs: o.interval,
        timeScale: o['time-scale'],
      },
      io,
    )
  },
})
