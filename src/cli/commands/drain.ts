import { DEFAULT_DEMO_DATABASE } from '../../demo/defaults.js'
import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { checkRate, checkSchedule, type DrainSchedule } from '../../queue/drain-settings.js'
import { defineCommand, opt } from '../define.js'
import { databaseName, decimalNumber, duration, durationOrZero, integer, invalidOption, keyPrefix, mysqlServerUrl, oneOf, queueName, text, type OptionReader } from '../option-values.js'
import { redisOptions } from '../shared-options.js'

/** A drain setting's own rule, its complaint kept (code and all) in the usage error. */
function checked<T>(check: () => T): T {
  try {
    return check()
  } catch (err) {
    const e = err as Error & { code?: string }
    throw new CUTOVER_ERR_CLI_USAGE(`${e.code ? `${e.code}: ` : ''}${e.message}`)
  }
}

const rate: OptionReader<number> = (label, value) => checked(() => checkRate(`rate (${label})`, decimalNumber(label, value)))

/** `2000:200:1h`: from 2000 jobs/s to 200 over an hour, starting now. */
export const ramp: OptionReader<DrainSchedule> = (label, value) => {
  const [from, to, over, ...rest] = value.split(':')
  if (from === undefined || to === undefined || over === undefined || rest.length > 0) invalidOption(label, 'FROM:TO:DURATION (jobs/s, jobs/s, e.g. 1h)', value)
  return checked(() => checkSchedule({ from: Number(from), to: Number(to), overMs: duration(label, over) }, Date.now()))
}

export const drainCommand = defineCommand({
  name: ['drain'],
  summary: 'work the refresh queue off in batches at a set rate, then optionally retire it',
  description: `Claims jobs from the legacy refresh queue in batches (each invisible to other
drainers for the visibility timeout, so a killed drainer loses nothing),
refreshes each batch with one refreshMany(table, ids) per table, and acks it.
The rate is global: every drainer of the queue, on any machine, shares it;
setting --rate or --ramp here changes it for all of them. Backs off when a
batch query is slower than --latency-max or MySQL's Threads_running passes
--threads-running-max (with --db); a job whose record fails --max-failures
times goes to the dead-letter list. Stops when the queue's depth is at most
--until-depth; --retire then removes the queue's keys, only if no producer
enqueued within the --quiet window (the dead-letter list is kept). Give
--refresher or --demo, or --retire alone to retire an empty queue.`,
  options: {
    refresher: opt.value(text, 'an ES module exporting refreshMany(table, ids) (named or default), and optionally close()', { placeholder: 'MODULE' }),
    demo: opt.flag("the demo's products refresher (one SELECT ... IN (...) per batch), on --database at --db"),
    database: opt.withDefault(databaseName, DEFAULT_DEMO_DATABASE, 'the demo database, with --demo', { placeholder: 'NAME' }),
    driver: opt.withDefault(oneOf(['list', 'bullmq'] as const), 'list', 'queue driver: list or bullmq', { placeholder: 'D' }),
    name: opt.withDefault(queueName, 'refresh', 'queue name', { placeholder: 'N' }),
    ...redisOptions,
    rate: opt.value(rate, 'jobs/s for every drainer of the queue', { placeholder: 'N', defaultText: 'the rate in force, else 100' }),
    ramp: opt.value(ramp, 'jobs/s from F to T over D (e.g. 2000:200:1h), starting now', { placeholder: 'F:T:D' }),
    batch: opt.value(integer({ min: 1, max: 10_000 }), 'jobs per batch', { placeholder: 'N', defaultText: '100' }),
    visibility: opt.value(duration, 'how long a claimed job is hidden from other drainers', { placeholder: 'D', defaultText: '30s' }),
    'max-failures': opt.value(integer({ min: 1, max: 1000 }), 'refresh failures before a job is dead-lettered', { placeholder: 'N', defaultText: '3' }),
    'until-depth': opt.withDefault(integer({ min: 0 }), 0, 'stop once at most N jobs are left', { placeholder: 'N' }),
    db: opt.value(mysqlServerUrl, 'MySQL, for --demo and the Threads_running probe', { env: ['CUTOVER_MYSQL_URL', 'MYSQL_URL'], placeholder: 'URL', defaultText: 'mysql://root@127.0.0.1:3306 with --demo, else no probe' }),
    'latency-max': opt.value(duration, 'back off when a batch query takes longer', { placeholder: 'D', defaultText: '500ms' }),
    'threads-running-max': opt.value(integer({ min: 1 }), "back off when MySQL's Threads_running is higher", { placeholder: 'N', defaultText: '32' }),
    'meter-prefix': opt.value(keyPrefix, 'charge drained jobs to their routes in the meter under P', { placeholder: 'P' }),
    retire: opt.flag('after draining, remove the queue (refused unless empty and quiet)'),
    quiet: opt.withDefault(durationOrZero, 5 * 60_000, 'the quiet window --retire needs', { placeholder: 'D', defaultText: '5m' }),
    json: opt.flag('JSON lines (also when standard output is not a terminal)'),
  },
  exits: '1 the drain stopped short (stopped from the control plane, interrupted) or retire was refused',
  async run({ options: o }, io) {
    if (o.demo && o.refresher !== undefined) throw new CUTOVER_ERR_CLI_USAGE('give either --refresher MODULE or --demo, not both')
    if (!o.demo && o.refresher === undefined && !o.retire) throw new CUTOVER_ERR_CLI_USAGE('give --refresher MODULE (exporting refreshMany(table, ids)) or --demo; see --help')
    if (o.rate !== undefined && o.ramp !== undefined) throw new CUTOVER_ERR_CLI_USAGE('give either --rate or --ramp, not both')
    if (o.retire && o['until-depth'] > 0) throw new CUTOVER_ERR_CLI_USAGE('--retire needs an empty queue: leave --until-depth at 0')
    const refresher = o.demo ? ({ kind: 'demo', database: o.database } as const) : o.refresher !== undefined ? ({ kind: 'module', path: o.refresher } as const) : undefined
    const [{ runDrain }, { drainRenderer }] = await Promise.all([import('../work/drain.js'), import('../work/drain-progress.js')])
    const render = drainRenderer(io, o.json)
    const interrupt = new AbortController()
    const onSignal = (): void => interrupt.abort()
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
    try {
      const summary = await runDrain(
        {
          redisUrl: o['redis-url'],
          prefix: o.prefix,
          name: o.name,
          driver: o.driver,
          refresher,
          mysqlUrl: o.db ?? (o.demo ? 'mysql://root@127.0.0.1:3306' : undefined),
          rate: o.rate,
          schedule: o.ramp,
          batchSize: o.batch,
          visibilityMs: o.visibility,
          maxFailures: o['max-failures'],
          latencyMs: o['latency-max'],
          threadsRunning: o['threads-running-max'],
          untilDepth: o['until-depth'],
          meterPrefix: o['meter-prefix'],
          retire: o.retire ? { quietMs: o.quiet } : undefined,
        },
        render,
        interrupt.signal,
      )
      if (summary.reached) return 0
      io.err(`cutover drain: stopped with ${summary.depth} job(s) left (above --until-depth ${o['until-depth']})`)
      return 1
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    }
  },
})
