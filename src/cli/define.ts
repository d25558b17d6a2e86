// One definition per CLI command (name, summary, typed options with their
// readers, defaults, environment variables and help) from which come the
// parser, the conversions, the usage errors, the --help text and the CLI
// reference in docs/reference/cli.md. Nothing about an option is written twice.
import { parseArgs } from 'node:util'
import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import type { CliCommand, CliIO } from './command.js'
import type { OptionReader } from './option-values.js'

interface SpecBase {
  /** What the option does (one line; more lines are kept as written). */
  help: string
  /** One-letter alias (`-t`). */
  short?: string
  /** The value's name in the usage line (`URL`, `N`). */
  placeholder?: string
  /** Environment variables read, in order, when the option is not given. */
  env?: readonly string[]
  /** Older names still accepted (shown in help as such). */
  aliases?: readonly string[]
}

export interface FlagSpec extends SpecBase {
  readonly kind: 'flag'
}

/** `D` records whether the value always has one (a default, or required). */
export interface ValueSpec<T, D extends boolean> extends SpecBase {
  readonly kind: 'value'
  readonly read: OptionReader<T>
  readonly default?: T
  /** How the default is shown when it is not the value itself (a computed default). */
  readonly defaultText?: string
  readonly required?: boolean
  readonly always?: D
}

/** A repeatable option (`--tag a --tag b`); each occurrence is read on its own. */
export interface ListSpec<T> extends SpecBase {
  readonly kind: 'list'
  readonly read: OptionReader<T>
}

export type OptionSpec = FlagSpec | ValueSpec<unknown, boolean> | ListSpec<unknown>
export type OptionSpecs = Record<string, OptionSpec>

type ValueOf<S> = S extends FlagSpec
  ? boolean
  : S extends ListSpec<infer T>
    ? T[]
    : S extends ValueSpec<infer T, true>
      ? T
      : S extends ValueSpec<infer T, boolean>
        ? T | undefined
        : never

/** The values a command's run() gets, typed from its option specs. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: ValueOf<O[K]> }

type Extra = Omit<SpecBase, 'help'>

/** Builders of option specs. */
export const opt = {
  /** A switch: true when given. */
  flag: (help: string, extra: Extra = {}): FlagSpec => ({ kind: 'flag', help, ...extra }),
  /** A value that may be absent; `defaultText` says what the command does then. */
  value: <T>(read: OptionReader<T>, help: string, extra: Extra & { defaultText?: string } = {}): ValueSpec<T, false> => ({ kind: 'value', read, help, ...extra }),
  /** A value with a default, used when neither the option nor its environment variables are given. */
  withDefault: <T>(read: OptionReader<T>, value: T, help: string, extra: Extra & { defaultText?: string } = {}): ValueSpec<T, true> => ({
    kind: 'value',
    read,
    default: value,
    help,
    ...extra,
  }),
  /** A value that must be given (or come from its environment variables). */
  required: <T>(read: OptionReader<T>, help: string, extra: Extra = {}): ValueSpec<T, true> => ({ kind: 'value', read, required: true, help, ...extra }),
  /** A repeatable value. */
  list: <T>(read: OptionReader<T>, help: string, extra: Extra = {}): ListSpec<T> => ({ kind: 'list', read, help, ...extra }),
}

/** Positional arguments (route ids, say). */
export interface PositionalSpec<T> {
  /** Name in the usage line, e.g. `route-id`. */
  name: string
  help: string
  read: OptionReader<T>
  /** @default 0 */
  min?: number
  /** @default Infinity */
  max?: number
}

export interface CommandDefinition<O extends OptionSpecs, P> {
  /** Words that select the command, e.g. ['report', 'shadow']. */
  name: readonly string[]
  /** One line, shown in the command list. */
  summary: string
  /** Paragraphs shown under the usage line. */
  description?: string
  options: O
  positionals?: PositionalSpec<P>
  /** Lines after the options (examples, what the routes are). */
  footer?: string
  /** Exit codes beyond 0 success and 2 bad usage. @default '1 the work failed' */
  exits?: string
  run(args: { options: OptionValues<O>; positionals: P[] }, io: CliIO): Promise<number>
}

/** A defined command: what the dispatcher runs and the reference documents. */
export interface DefinedCommand extends CliCommand {
  readonly definition: CommandDefinition<OptionSpecs, unknown>
}

const usageError = (message: string): Error => new CUTOVER_ERR_CLI_USAGE(message)

const placeholderOf = (name: string, spec: OptionSpec): string =>
  spec.kind === 'flag' ? '' : (spec.placeholder ?? name.toUpperCase().replace(/-/g, '_'))

/** The option's own words: `-t, --tag T`. */
export function optionLabel(name: string, spec: OptionSpec): string {
  const value = placeholderOf(name, spec)
  return `${spec.short ? `-${spec.short}, ` : '    '}--${name}${value ? ` ${value}` : ''}`
}

/** Default, environment, repeatable and alias notes of an option, in reading order. */
export function optionNotes(spec: OptionSpec): string[] {
  const notes: string[] = []
  if (spec.kind === 'list') notes.push('repeatable')
  if (spec.kind === 'value' && spec.required) notes.push('required')
  if (spec.env && spec.env.length > 0) notes.push(`env ${spec.env.join(', then ')}`)
  if (spec.kind === 'value' && (spec.defaultText !== undefined || spec.default !== undefined)) notes.push(`default ${spec.defaultText ?? String(spec.default)}`)
  if (spec.aliases && spec.aliases.length > 0) notes.push(`formerly ${spec.aliases.map((a) => `--${a}`).join(', ')}`)
  return notes
}

export function usageLine(def: CommandDefinition<OptionSpecs, unknown>): string {
  const p = def.positionals
  const args = p ? ((p.min ?? 0) > 0 ? ` <${p.name}>` : ` [${p.name}]`) + ((p.max ?? Infinity) > 1 ? '...' : '') : ''
  return `usage: cutover ${def.name.join(' ')}${args}${Object.keys(def.options).length > 0 ? ' [options]' : ''}`
}

/** The --help text of a command. */
export function helpText(def: CommandDefinition<OptionSpecs, unknown>): string {
  const rows = Object.entries(def.options).map(([name, spec]) => {
    const notes = optionNotes(spec)
    return [optionLabel(name, spec), spec.help + (notes.length > 0 ? ` (${notes.join('; ')})` : '')] as const
  })
  rows.push(['-h, --help', 'show this help'])
  const width = Math.min(Math.max(...rows.map(([label]) => label.length)) + 2, 32)
  const lines = [usageLine(def), '', def.summary]
  if (def.description) lines.push('', def.description)
  if (def.positionals) lines.push('', `Arguments:`, `  <${def.positionals.name}>  ${def.positionals.help}`)
  lines.push('', 'Options:')
  for (const [label, text] of rows) {
    const [first = '', ...more] = text.split('\n')
    lines.push(`  ${label.padEnd(width)}${label.length >= width ? `\n  ${' '.repeat(width)}` : ''}${first}`, ...more.map((m) => `  ${' '.repeat(width)}${m}`))
  }
  if (def.footer) lines.push('', def.footer)
  lines.push('', `Exit codes: 0 success, ${def.exits ?? '1 the work failed'}, 2 bad usage.`)
  return lines.join('\n')
}

function readOption(name: string, spec: OptionSpec, given: unknown, env: NodeJS.ProcessEnv): unknown {
  if (spec.kind === 'flag') return given === true
  if (spec.kind === 'list') return ((given as string[] | undefined) ?? []).map((text) => spec.read(`--${name}`, text))
  if (typeof given === 'string') return spec.read(`--${name}`, given)
  for (const variable of spec.env ?? []) {
    const text = env[variable]
    if (text !== undefined && text !== '') return spec.read(variable, text)
  }
  if (spec.required) throw usageError(`missing --${name} (${spec.help}${spec.env ? `; or ${spec.env.join(', ')}` : ''})`)
  return spec.default
}

/** Parses argv strictly by the definition; every complaint is bad usage (exit 2) naming the option. */
export function parseCommand<O extends OptionSpecs, P>(
  def: CommandDefinition<O, P>,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { options: OptionValues<O>; positionals: P[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {}
  for (const [name, spec] of Object.entries(def.options)) {
    const entry = { type: spec.kind === 'flag' ? ('boolean' as const) : ('string' as const), ...(spec.short ? { short: spec.short } : {}), ...(spec.kind === 'list' ? { multiple: true } : {}) }
    config[name] = entry
    for (const alias of spec.aliases ?? []) config[alias] = { type: entry.type, ...(entry.multiple ? { multiple: true } : {}) }
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] }
  try {
    parsed = parseArgs({ args: [...argv], options: config, strict: true, allowPositionals: def.positionals !== undefined })
  } catch (err) {
    throw usageError(`${(err as Error).message} (see cutover ${def.name.join(' ')} --help)`)
  }
  const p = def.positionals
  const label = p?.name.replace(/-/g, ' ') ?? ''
  const count = (n: number): string => `${n === 1 ? 'one' : n} ${label}${n === 1 ? '' : 's'}`
  const positionals = p ? parsed.positionals.map((text) => p.read(label, text)) : []
  if (p && positionals.length < (p.min ?? 0)) throw usageError(`give at least ${count(p.min ?? 0)}`)
  if (p && p.min === p.max && positionals.length !== p.min) throw usageError(`give exactly ${count(p.min ?? 0)}`)
  if (p && positionals.length > (p.max ?? Infinity)) throw usageError(`give at most ${count(p.max ?? 0)}`)
  const options: Record<string, unknown> = {}
  for (const [name, spec] of Object.entries(def.options)) {
    const names = [name, ...(spec.aliases ?? [])].filter((n) => parsed.values[n] !== undefined)
    if (names.length > 1) throw usageError(`give ${names.map((n) => `--${n}`).join(' or ')}, not both (they are one option)`)
    options[name] = readOption(name, spec, names[0] === undefined ? undefined : parsed.values[names[0]], env)
  }
  return { options: options as OptionValues<O>, positionals }
}

/** Makes a command from its definition. */
export function defineCommand<O extends OptionSpecs, P = never>(def: CommandDefinition<O, P>): DefinedCommand {
  return {
    name: [...def.name],
    summary: def.summary,
    get help() {
      return helpText(def as unknown as CommandDefinition<OptionSpecs, unknown>)
    },
    definition: def as unknown as CommandDefinition<OptionSpecs, unknown>,
    run: (argv, io) => def.run(parseCommand(def, argv, io.env), io),
  }
}
