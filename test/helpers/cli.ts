import type { CliIO } from '../../src/cli/command.js'

/** A CliIO that keeps what a command printed: `lines` (standard output) and `errors` (standard error). */
export function io(env: NodeJS.ProcessEnv = {}): CliIO & { lines: string[]; errors: string[] } {
  const lines: string[] = []
  const errors: string[] = []
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l), isTTY: false, env }
}
