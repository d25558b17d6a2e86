import { fileURLToPath } from 'node:url'
import { defineCommand, opt } from '../define.js'
import { existingFile, integer, outputDirectory, positiveNumber } from '../option-values.js'
import { demoServiceOptions } from '../shared-options.js'

const positive = integer({ min: 1 })
/** The shipped playbook, found from this file (src/ or dist/), wherever the command is run from. */
const WEEK_PLAYBOOK = fileURLToPath(new URL('../../../playbooks/week.yaml', import.meta.url))

export const demoWeekCommand = defineCommand({
  name: ['demo', 'week'],
  summary: 'the week-long cutover of the demo app in minutes, from the playbook, with a timeline report',
  description: `Seeds the demo database and starts the demo app (--instances of it, one
flags file, one Redis, one MySQL) under steady load, with the legacy refresh
worker capped at --worker-rate (a legacy fleet that falls behind), the producer
gate, the shadow runner and a drainer that waits for the playbook. After a
baseline of the legacy app as it is, the playbook runner applies the playbook
(by default playbooks/week.yaml: measure and dedupe, shadow, canary 10% and
50%, on, drain, retire) to the three read routes at a time scale that fits
its week into --duration, printing each decision and the progress.
With faults on (the default) products.list's page handler rounds prices: its
shadow gate must catch the logic mismatch, step it back and then roll it back
to off while the other routes reach on. --no-faults takes all three to on and
the queue to retirement. Ends with the timeline report (HTML, Markdown, JSON)
and checks that the story happened as scripted.`,
  options: {
    duration: opt.withDefault(positive, 180, 'wall seconds the week should take when every gate passes at the end of its hold', { placeholder: 'S' }),
    'time-scale': opt.value(positiveNumber, 'playbook clock speed instead of the one --duration gives', { placeholder: 'N', defaultText: 'the playbook plan divided by --duration' }),
    'no-faults': opt.flag("no deliberate fault: every route should reach on"),
    playbook: opt.value(existingFile, 'the playbook to apply', { placeholder: 'FILE', defaultText: "the package's playbooks/week.yaml" }),
    rate: opt.withDefault(positive, 300, 'requests per second of steady load, all instances together', { placeholder: 'N' }),
    instances: opt.withDefault(integer({ min: 1, max: 8 }), 2, 'app instances sharing the flags file, Redis and MySQL', { placeholder: 'N' }),
    'worker-rate': opt.withDefault(positive, 400, 'refresh jobs per second the legacy worker fleet runs', { placeholder: 'N' }),
    out: opt.withDefault(outputDirectory, 'reports', 'report directory', { placeholder: 'DIR' }),
    ...demoServiceOptions('cutover-week'),
  },
  exits: '1 the story did not happen as scripted (a gate that should fail passed, a route that should reach on did not, the queue did not drain)',
  footer: 'The journal is the demo database\'s playbook_events (playbook "week"); it is cleared at the start of each run.',
  async run({ options: o }, io) {
    const { runWeekDemo } = await import('../../demo/week-run.js')
    const result = await runWeekDemo({
      mysqlUrl: o['mysql-url'], redisUrl: o['redis-url'], database: o.database, prefix: o.prefix, playbookFile: o.playbook ?? WEEK_PLAYBOOK,
      durationSeconds: o.duration, timeScale: o['time-scale'], faults: !o['no-faults'], rate: o.rate, instances: o.instances,
      workerRate: o['worker-rate'], outDir: o.out, log: io.out,
    })
    if (!result.ok) io.err('the story did not happen as scripted: see the lines marked FAIL above')
    return result.ok ? 0 : 1
  },
})
