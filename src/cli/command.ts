import { parseArgs, type ParseArgsConfig } from 'node:util'
import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import { firstGiven, mysqlDatabaseUrl, redisUrl } from './option-values.js'

/** Where a command writes; tests pass their own. */
export interface CliIO {
  out: (line: string) => void
  err: (line: string) => void
  /** true when stdout is a terminal (progress bars redraw in place). */
  isTTY: boolean
  env: NodeJS.ProcessEnv
}

export interface CliCommand {
  /** Words that select the command, e.g. ['report', 'shadow']. */
  name: string[]
  summary: string
  /** Full help text shown by `cutover <name> --help`. */
  help: string
  /** Returns the process exit code. */
  run(argv: string[], io: CliIO): Promise<number>
}

/**
 * Runs an argument parser (node:util parseArgs with strict: true, or a
 * library's own check of a value the user gave) and turns its complaint into a
 * coded usage error (exit code 2); `about` names the option it concerns.
 */
export function usage<T>(parse: () => T, about?: string): T {
  try {
    return parse()
  } catch (err) {
    throw new CUTOVER_ERR_CLI_USAGE(`${about ? `${about}: ` : ''}${(err as Error).message}`)
  }
}

/** A command's option table, as node:util parseArgs takes it. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>

/** What parseArgs returns for the config C. */
type Parsed<C extends ParseArgsConfig> = ReturnType<typeof parseArgs<C>>

/** Parses a command's options strictly (no positional arguments); a complaint is bad usage (exit 2). */
export function parseOptions<O extends CommandOptions>(argv: string[], options: O): Parsed<{ args: string[]; options: O; strict: true }> {
  return usage(() => parseArgs({ args: argv, options, strict: true }))
}

/** As parseOptions, for a command that also takes positional arguments (route ids). */
export function parseOptionsAndArguments<O extends CommandOptions>(
  argv: string[],
  options: O,
): Parsed<{ args: string[]; options: O; strict: true; allowPositionals: true }> {
  return usage(() => parseArgs({ args: argv, options, strict: true, allowPositionals: true }))
}

/** Where mysqlUrlOption looks, for messages. */
export const MYSQL_URL_SETTING = '--db (or CUTOVER_MYSQL_URL, MYSQL_URL)'

/** The MySQL URL of a database from --db, else $CUTOVER_MYSQL_URL, else $MYSQL_URL; bad usage when none is given or it is malformed. */
export function mysqlUrlOption(db: string | undefined, env: NodeJS.ProcessEnv): string {
  const given = firstGiven(['--db', db], ['CUTOVER_MYSQL_URL', env.CUTOVER_MYSQL_URL], ['MYSQL_URL', env.MYSQL_URL])
  if (!given) throw new CUTOVER_ERR_CLI_USAGE('expected --db mysql://... (or CUTOVER_MYSQL_URL)')
  return mysqlDatabaseUrl(given.label, given.text)
}

/** The Redis URL from --redis-url, else $REDIS_URL, else the local default; bad usage when malformed. */
export function redisUrlOption(value: string | undefined, env: NodeJS.ProcessEnv): string {
  const given = firstGiven(['--redis-url', value], ['REDIS_URL', env.REDIS_URL])
  return given ? redisUrl(given.label, given.text) : 'redis://127.0.0.1:6379'
}

export const defaultIO = (): CliIO => ({
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
})
