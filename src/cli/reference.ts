// docs/reference/cli.md, made from the command definitions (npm run docs);
// test/docs checks the file is current.
import type { DefinedCommand, OptionSpec } from './define.js'
import { optionLabel, optionNotes, usageLine } from './define.js'

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ')

function optionRow(name: string, spec: OptionSpec): string {
  return `| \`${optionLabel(name, spec).trim()}\` | ${cell(spec.help)} | ${cell(optionNotes(spec).join('; '))} |`
}

function commandSection(command: DefinedCommand): string {
  const def = command.definition
  const lines = [`## cutover ${def.name.join(' ')}`, '', def.summary.charAt(0).toUpperCase() + def.summary.slice(1) + '.', '', '```', usageLine(def), '```']
  if (def.description) lines.push('', def.description.replace(/\n(?!\n)/g, ' '))
  if (def.positionals) lines.push('', `\`<${def.positionals.name}>\`: ${def.positionals.help}.`)
  const options = Object.entries(def.options)
  if (options.length > 0) {
    lines.push('', '| option | what | default, environment |', '| --- | --- | --- |', ...options.map(([n, s]) => optionRow(n, s)))
  }
  if (def.footer) lines.push('', def.footer.replace(/\n(?!\n)/g, ' '))
  lines.push('', `Exit codes: 0 success, ${def.exits ?? '1 the work failed'}, 2 bad usage.`)
  return lines.join('\n')
}

/** The whole CLI reference as Markdown. */
export function cliReference(commands: readonly DefinedCommand[]): string {
  const toc = commands.map((c) => `- [\`cutover ${c.name.join(' ')}\`](#cutover-${c.name.join('-')}): ${c.summary}`)
  return [
    '# CLI reference',
    '',
    '<!-- Made by `npm run docs` from the command definitions in src/cli/commands/; do not edit by hand. -->',
    '',
    'Every command takes `--help` (so does every group: `cutover flags --help`). Options may be given as',
    '`--name value` or `--name=value`; an option with environment variables reads them, in the order listed,',
    'when it is not given. A malformed value is bad usage: exit code 2 and `CUTOVER_ERR_CLI_USAGE` naming the option.',
    '',
    ...toc,
    '',
    ...commands.map(commandSection).flatMap((s) => [s, '']),
  ].join('\n')
}
