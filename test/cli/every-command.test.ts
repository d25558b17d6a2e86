import { describe, expect, it } from 'vitest'
import { commands } from '../../src/cli/commands/index.js'
import { runCli } from '../../src/cli/run.js'
import { io } from '../helpers/cli.js'

/** Every prefix of every command name that is not itself a command: the groups (`flags`, `report`). */
const groups = [...new Set(commands.flatMap((c) => c.name.slice(0, -1).map((_, i) => c.name.slice(0, i + 1).join(' '))))]
  .filter((g) => !commands.some((c) => c.name.join(' ') === g))
  .map((g) => g.split(' '))

describe('every CLI command, at every level', () => {
  it('cutover --help lists every command, exit 0; no arguments is bad usage, exit 2', async () => {
    const help = io()
    expect(await runCli(['--help'], help)).toBe(0)
    for (const c of commands) expect(help.lines.join('\n')).toContain(c.name.join(' '))
    expect(await runCli([], io())).toBe(2)
  })

  it.each(groups.map((g) => [g.join(' '), g] as const))('cutover %s --help lists its commands (exit 0); the bare group is bad usage (exit 2)', async (_name, group) => {
    const help = io()
    expect(await runCli([...group, '--help'], help)).toBe(0)
    const text = help.lines.join('\n')
    const members = commands.filter((c) => group.every((w, i) => c.name[i] === w))
    expect(members.length).toBeGreaterThan(0)
    for (const c of members) expect(text).toContain(c.name.join(' '))
    const bare = io()
    expect(await runCli(group, bare)).toBe(2)
    expect(bare.errors.join('\n')).toContain(`usage: cutover ${group.join(' ')} <command>`)
  })

  it.each(commands.map((c) => [c.name.join(' '), c] as const))('cutover %s: --help (exit 0) shows usage, every option and exit codes; an unknown option is bad usage (exit 2)', async (_name, command) => {
    for (const flag of ['--help', '-h']) {
      const out = io()
      expect(await runCli([...command.name, flag], out)).toBe(0)
      const text = out.lines.join('\n')
      expect(text).toMatch(new RegExp(`^usage: cutover ${command.name.join(' ')}`))
      for (const option of Object.keys(command.definition.options)) expect(text).toContain(`--${option}`)
      expect(text).toMatch(/Exit codes: 0 success, .*2 bad usage\./)
    }
    const bad = io()
    expect(await runCli([...command.name, '--no-such-option'], bad)).toBe(2)
    expect(bad.errors.join('\n')).toMatch(/CUTOVER_ERR_CLI_USAGE/)
  })
})
