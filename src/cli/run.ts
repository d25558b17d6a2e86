import { type CliCommand, type CliIO } from './command.js'
import { commands as allCommands } from './commands/index.js'

const EXITS = 'Exit codes: 0 success, 1 the work failed (or a gate/--fail-on tripped), 2 bad usage.'

/** The commands under `prefix` (all of them for []), listed with their summaries. */
function overview(commands: readonly CliCommand[], prefix: readonly string[]): string {
  const under = commands.filter((c) => prefix.every((word, i) => c.name[i] === word))
  const width = Math.max(...under.map((c) => c.name.join(' ').length), 10)
  const what = prefix.length === 0 ? '<command>' : `${prefix.join(' ')} <command>`
  return [
    `usage: cutover ${what} [options]`,
    '',
    'commands:',
    ...under.map((c) => `  ${c.name.join(' ').padEnd(width)}  ${c.summary}`),
    '',
    `Run \`cutover ${prefix.length > 0 ? `${prefix.join(' ')} ` : ''}<command> --help\` for a command's options.`,
    EXITS,
  ].join('\n')
}

/** The longest command name that prefixes argv. */
function match(commands: readonly CliCommand[], argv: readonly string[]): { command: CliCommand; rest: string[] } | undefined {
  let best: { command: CliCommand; rest: string[] } | undefined
  for (const command of commands) {
    const n = command.name.length
    if (command.name.every((word, i) => argv[i] === word) && (!best || n > best.command.name.length)) {
      best = { command, rest: argv.slice(n) }
    }
  }
  return best
}

/** The leading words of argv that name a group of commands (`flags`, `report`), if they do. */
function groupOf(commands: readonly CliCommand[], argv: readonly string[]): string[] | undefined {
  const words: string[] = []
  for (const word of argv) {
    if (word.startsWith('-')) break
    const next = [...words, word]
    if (!commands.some((c) => c.name.length > next.length && next.every((w, i) => c.name[i] === w))) break
    words.push(word)
  }
  return words.length > 0 ? words : undefined
}

const isHelp = (arg: string | undefined): boolean => arg === '--help' || arg === '-h' || arg === 'help'

export async function runCli(argv: string[], io: CliIO, commands: readonly CliCommand[] = allCommands): Promise<number> {
  if (argv.length === 0 || isHelp(argv[0])) {
    io.out(overview(commands, []))
    return argv.length === 0 ? 2 : 0
  }
  const found = match(commands, argv)
  // A group (`cutover flags`) or a group's help (`cutover flags --help`), unless its words name a command themselves (`demo`).
  const group = groupOf(commands, argv)
  if (group && (!found || found.command.name.length < group.length)) {
    const rest = argv.slice(group.length)
    if (rest.length === 0 || isHelp(rest[0])) {
      if (rest.length === 0) io.err(overview(commands, group))
      else io.out(overview(commands, group))
      return rest.length === 0 ? 2 : 0
    }
  }
  if (!found) {
    io.err(`cutover: unknown command "${argv.join(' ')}"\n`)
    io.err(overview(commands, group ?? []))
    return 2
  }
  if (found.rest.includes('--help') || found.rest.includes('-h')) {
    const name = found.command.name
    const more = commands.filter((c) => c.name.length > name.length && name.every((w, i) => c.name[i] === w))
    io.out(found.command.help + (more.length > 0 ? `\n\nMore commands under \`cutover ${name.join(' ')}\`: ${more.map((c) => c.name.join(' ')).join(', ')}.` : ''))
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
