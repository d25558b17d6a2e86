import { readStatus, renderStatus } from '../../playbook/status.js'
import { parseOptionsAndArguments, type CliCommand } from '../command.js'
import { journalHelp, journalOptions, openJournalPool, playbookArgument } from '../playbook-services.js'

export const playbookStatus: CliCommand = {
  name: ['playbook', 'status'],
  summary: "where each route of a playbook is, its hold, its latest gate readings",
  help: `usage: cutover playbook status <playbook.yaml> [--db URL] [--json]

Reads the playbook's journal: for each route its stage and since when, the
hold left (on the playbook clock and in wall time), its flag, its failures,
the latest reading of each gate of its stage; routes rolled back to off and
what it takes to resume them; the queue stages; writes not confirmed yet.

${journalHelp}
  --json               the same as JSON

Exit codes: 0 printed, 1 the journal could not be read, 2 bad usage.`,
  async run(argv, io) {
    const { values, positionals } = parseOptionsAndArguments(argv, { ...journalOptions, json: { type: 'boolean' } })
    const playbook = await playbookArgument(positionals)
    const pool = openJournalPool(values, io.env)
    try {
      const status = await readStatus(playbook, pool)
      io.out(values.json ? JSON.stringify(status, null, 2) : renderStatus(status))
      return 0
    } finally {
      await pool.end()
    }
  },
}
