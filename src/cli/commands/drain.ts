import { DEFAULT_DEMO_DATABASE } from '../../demo/services.js'
import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { checkRate, checkSchedule, type DrainSchedule } from '../../queue/drain-settings.js'
import { parseOptions, type CliCommand } from '../command.js'
import { drainRenderer } from '../drain-progress.js'
import { runDrain, type DrainRunOptions, type RefresherSource } from '../drain-run.js'

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `500ms`, `30s`, `5m`, `1h`, `2d` -> ms; a bad value is bad usage naming the option. */
export function durationMs(option: string, text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim())
  const ms = match ? Number(match[1]) * (UNITS[match[2] as string] as number) : NaN
  if (!Number.isFinite(ms)) throw new CUTOVER_ERR_CLI_USAGE(`--${option} expects a duration like 500ms, 30s, 5m or 1h, got ${JSON.stringify(text)}`)
  return Math.round(ms)
}

function integer(option: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined
  const value = Number(text)
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    throw new CUTOVER_ERR_CLI_USAGE(`--${option} expects an integer from ${min} to ${max}, got ${JSON.stringify(text)}`)
  }
  return value
}

/** Runs a drain checker and reports what it rejects as bad usage (exit 2), keeping its code in the message. */
function checked<T>(check: () => T): T {
  try {
    return check()
  } catch (err) {
    const e = err as Error & { code?: string }
    throw new CUTOVER_ERR_CLI_USAGE(`${e.code ? `${e.code}: ` : ''}${e.message}`)
  }
}

function rateOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined
  return checked(() => checkRate('rate (--rate)', text.trim() === '' ? NaN : Number(text)))
}

/** `--ramp 2000:200:1h`: from 2000 jobs/s to 200 over an hour, starting now. */
export function parseRamp(text: string): DrainSchedule {
  const [from, to, over, ...rest] = text.split(':')
  if (from === undefined || to === undefined || over === undefined || rest.length > 0) {
    throw new CUTOVER_ERR_CLI_USAGE(`--ramp expects FROM:TO:DURATION (jobs/s, jobs/s, e.g. 1h), got ${JSON.stringify(text)}`)
  }
  return checked(() => checkSchedule({ from: Number(from), to: Number(to), overMs: durationMs('ramp', over) }, Date.now()))
}

const options = {
  driver: { type: 'string', default: 'list' },
  name: { type: 'string', default: 'refresh' },
  prefix: { type: 'string', default: 'cutover' },
  'redis-url': { type: 'string' },
  refresher: { type: 'string' },
  demo: { type: 'boolean', default: false },
  database: { type: 'string', default: DEFAULT_DEMO_DATABASE },
  db: { type: 'string' },
  rate: { type: 'string' },
  ramp: { type: 'string' },
  batch: { type: 'string' },
  visibility: { type: 'string' },
  'max-failures': { type: 'string' },
  'until-depth': { type: 'string', default: '0' },
  'latency-max': { type: 'string' },
  'threads-running-max': { type: 'string' },
  'meter-prefix': { type: 'string' },
  retire: { type: 'boolean', default: false },
  quiet: { type: 'string', default: '5m' },
  json: { type: 'boolean', default: false },
} as const

type Values = ReturnType<typeof parseOptions<typeof options>>['values']

function refresherOf(values: Values): RefresherSource | undefined {
  if (values.demo && values.refresher !== undefined) throw new CUTOVER_ERR_CLI_USAGE('give either --refresher MODULE or --demo, not both')
  if (values.demo) return { kind: 'demo', database: values.database }
  if (values.refresher !== undefined) return { kind: 'module', path: values.refresher }
  if (!values.retire) throw new CUTOVER_ERR_CLI_USAGE('give --refresher MODULE (exporting refreshMany(table, ids)) or --demo; see --help')
  return undefined
}

/** The typed options of a run, from the command line and the environment. */
export function drainOptions(argv: string[], env: NodeJS.ProcessEnv): DrainRunOptions & { json: boolean } {
  const { values } = parseOptions(argv, options)
  if (values.driver !== 'list' && values.driver !== 'bullmq') throw new CUTOVER_ERR_CLI_USAGE(`--driver must be list or bullmq, got ${JSON.stringify(values.driver)}`)
  if (values.rate !== undefined && values.ramp !== undefined) throw new CUTOVER_ERR_CLI_USAGE('give either --rate or --ramp, not both')
  const refresher = refresherOf(values)
  const untilDepth = integer('until-depth', values['until-depth'], 0) ?? 0
  if (values.retire && untilDepth > 0) throw new CUTOVER_ERR_CLI_USAGE('--retire needs an empty queue: leave --until-depth at 0')
  const batchSize = integer('batch', values.batch, 1, 10_000)
  const maxFailures = integer('max-failures', values['max-failures'], 1, 1000)
  const threadsRunning = integer('threads-running-max', values['threads-running-max'], 1)
  return {
    redisUrl: values['redis-url'] ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    prefix: values.prefix,
    name: values.name,
    driver: values.driver,
    refresher,
    mysqlUrl: values.db ?? env.CUTOVER_MYSQL_URL ?? env.MYSQL_URL ?? (refresher?.kind === 'demo' ? 'mysql://root@127.0.0.1:3306' : undefined),
    rate: rateOf(values.rate),
    schedule: values.ramp === undefined ? undefined : parseRamp(values.ramp),
    batchSize,
    visibilityMs: values.visibility === undefined ? undefined : durationMs('visibility', values.visibility),
    maxFailures,
    latencyMs: values['latency-max'] === undefined ? undefined : durationMs('latency-max', values['latency-max']),
    threadsRunning,
    untilDepth,
    meterPrefix: values['meter-prefix'],
    retire: values.retire ? { quietMs: durationMs('quiet', values.quiet) } : undefined,
    json: values.json,
  }
}

export const drainCommand: CliCommand = {
  name: ['drain'],
  summary: 'work the refresh queue off in batches at a set rate, then optionally retire it',
  help: `usage: cutover drain (--refresher MODULE | --demo) [--driver list|bullmq] [--name N] [--prefix P]
                     [--rate N | --ramp FROM:TO:DURATION] [--batch N] [--visibility 30s] [--max-failures N]
                     [--until-depth N] [--db URL] [--latency-max 500ms] [--threads-running-max N]
                     [--meter-prefix P] [--retire [--quiet 5m]] [--json] [--redis-url URL]
       cutover drain --retire [--quiet 5m] ...      (retire an empty queue, nothing to drain)

Claims jobs from the legacy refresh queue in batches (each invisible to other
drainers for the visibility timeout, so a killed drainer loses nothing),
refreshes each batch with one refreshMany(table, ids) per table, and acks it.
The rate is global: every drainer of the queue, on any machine, shares it;
setting --rate or --ramp here changes it for all of them. Backs off when a
batch query is slower than --latency-max or MySQL's Threads_running passes
--threads-running-max (with --db); a job whose record fails --max-failures
times goes to the dead-letter list. Stops when the queue's depth is at most
--until-depth (default 0); --retire then removes the queue's keys, only if no
producer enqueued within the --quiet window (the dead-letter list is kept).

  --refresher MODULE   an ES module exporting refreshMany(table, ids) (named or default),
                       and optionally close()
  --demo               the demo's products refresher (one SELECT ... IN (...) per batch),
                       on --database (default ${DEFAULT_DEMO_DATABASE}) at --db
  --driver D           list (default) or bullmq
  --name N             queue name (default: refresh)
  --prefix P           key prefix of the queue (and of the demo's object keys) (default: cutover)
  --rate N             jobs/s for every drainer of the queue (default: the rate in force, else 100)
  --ramp F:T:D         jobs/s from F to T over D (e.g. 2000:200:1h), starting now
  --batch N            jobs per batch, 1..10000 (default 100)
  --visibility D       how long a claimed job is hidden from other drainers (default 30s)
  --max-failures N     refresh failures before a job is dead-lettered (default 3)
  --until-depth N      stop once at most N jobs are left (default 0)
  --db URL             MySQL, for --demo and the Threads_running probe  [env CUTOVER_MYSQL_URL, MYSQL_URL]
  --latency-max D      back off when a batch query takes longer (default 500ms)
  --threads-running-max N  back off when MySQL's Threads_running is higher (default 32)
  --meter-prefix P     charge drained jobs to their routes in the meter under P
  --retire             after draining, remove the queue (refused unless empty and quiet)
  --quiet D            the quiet window --retire needs (default 5m)
  --json               JSON lines (also when stdout is not a terminal)
  --redis-url URL      default $REDIS_URL or redis://127.0.0.1:6379

Exit codes: 0 the queue reached --until-depth (and was retired, with --retire);
1 the drain stopped short (stopped from the control plane, interrupted) or
retire was refused; 2 bad usage.`,
  async run(argv, io) {
    const { json, ...run } = drainOptions(argv, io.env)
    const render = drainRenderer(io, json)
    const interrupt = new AbortController()
    const onSignal = (): void => interrupt.abort()
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal)
    try {
      const summary = await runDrain(run, render, interrupt.signal)
      if (summary.reached) return 0
      io.err(`cutover drain: stopped with ${summary.depth} job(s) left (above --until-depth ${run.untilDepth})`)
      return 1
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
    }
  },
}
