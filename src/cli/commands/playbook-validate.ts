import { defineCommand } from '../define.js'
import { existingFile } from '../option-values.js'

export const playbookValidate = defineCommand({
  name: ['playbook', 'validate'],
  summary: 'check playbook files against the schema and the rules beyond it',
  description: `Parses each file (YAML) and checks it against playbooks/playbook.schema.json
and the rules the schema can't express (a gate that can read nothing in its
stage, queue stages before route stages, an unknown time zone). Every problem
is printed as file:line:column: path: what was expected.`,
  positionals: { name: 'playbook', help: 'playbook files (YAML)', read: existingFile, min: 1 },
  options: {},
  exits: '1 a file is not valid',
  async run({ positionals }, io) {
    const { loadPlaybook } = await import('../../playbook/parse.js')
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
})
