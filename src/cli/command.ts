import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'

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

export const defaultIO = (): CliIO => ({
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
})
