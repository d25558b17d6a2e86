import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { loadPlaybook } from '../../playbook/parse.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'

export const playbookValidate: CliCommand = {
  name: ['playbook', 'validate'],
  summary: 'check playbook files against the schema and the rules beyond it',
  help: `usage: cutover playbook validate <playbook.yaml>...

Parses each file (YAML) and checks it against playbooks/playbook.schema.json
and the rules the schema can't express (a gate that can read nothing in its
stage, queue stages before route stages, an unknown time zone). Every problem
is printed as file:line:column: path: what was expected.

Exit codes: 0 every file is valid, 1 one is not, 2 bad usage.`,
  async run(argv, io) {
    const { positionals } = parseOptionsAndArguments(argv, {})
    if (positionals.length === 0) throw new CUTOVER_ERR_CLI_USAGE('give at least one playbook file')
    let failed = 0
    for (const file of positionals) {
      try {
        const p = await loadPlaybook(file)
        const queue = p.stages.length - p.firstQueueStage
        io.out(`${file}: ok (playbook ${p.name}: ${p.firstQueueStage} route stage(s)${queue > 0 ? `, ${queue} queue stage(s)` : ''}; routes ${p.routes.match.join(', ')}, ${p.routes.concurrency} at a time)`)
      } catch (err) {
        const e = err as Error & { code?: string }
        if (e.code !== 'CUTOVER_ERR_PLAYBOOK_INVALID' && e.code !== 'CUTOVER_ERR_PLAYBOOK_PARSE') throw err
        failed++
        io.err(`${e.code}: ${e.message}`)
      }
    }
    return failed > 0 ? 1 : 0
  },
}
