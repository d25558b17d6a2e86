import { type CliCommand, type CliIO } from './command.js'
import { commands as allCommands } from './commands/index.js'

function overview(commands: CliCommand[]): string {
  const width = Math.max(...commands.map((c) => c.name.join(' ').length), 10)
  return [
    'usage: cutover <command> [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    'Run `cutover <command> --help` for a command\'s options.',
    'Exit codes: 0 success, 1 the work failed (or a gate/--fail-on tripped), 2 bad usage.',
  ].join('\n')
}

/** Finds the longest command name that prefixes argv. */
function match(commands: CliCommand[], argv: string[]): { command: CliCommand; rest: string[] } | undefined {
  let best: { command: CliCommand; rest: string[] } | undefined
  for (const command of commands) {
    const n = command.name.length
    if (command.name.every((word, i) => argv[i] === word) && (!best || n > best.command.name.length)) {
      best = { command, rest: argv.slice(n) }
    }
  }
  return best
}

export async function runCli(argv: string[], io: CliIO, commands: CliCommand[] = allCommands): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.out(overview(commands))
    return argv.length === 0 ? 2 : 0
  }
  const found = match(commands, argv)
  if (!found) {
    io.err(`cutover: unknown command "${argv.join(' ')}"\n`)
    io.err(overview(commands))
    return 2
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    io.out(found.command.help)
    return 0
  }
  try {
    return await found.command.run(found.rest, io)
  } catch (err) {
    const e = err as Error & { code?: string }
    io.err(`cutover ${found.command.name.join(' ')}: ${e.code ? e.code + ': ' : ''}${e.message}`)
    return e.code === 'CUTOVER_ERR_CLI_USAGE' ? 2 : 1
  }
}
