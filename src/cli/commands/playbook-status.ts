import { defineCommand, opt } from '../define.js'
import { journalOptions, playbookFile } from '../playbook-services.js'

export const playbookStatus = defineCommand({
  name: ['playbook', 'status'],
  summary: 'where each route of a playbook is, its hold, its latest gate readings',
  description: `Reads the playbook's journal: for each route its stage and since when, the
hold left (on the playbook clock and in wall time), its flag, its failures,
the latest reading of each gate of its stage; routes rolled back to off and
what it takes to resume them; the queue stages; writes not confirmed yet.`,
  positionals: playbookFile,
  options: { ...journalOptions, json: opt.flag('the same as JSON') },
  exits: '1 the journal could not be read',
  async run({ options: o, positionals: [file] }, io) {
    const [{ loadPlaybook, openJournalPool }, { readStatus, renderStatus }] = await Promise.all([import('../work/playbook.js'), import('../../playbook/status.js')])
    const playbook = await loadPlaybook(file as string)
    const pool = openJournalPool(o)
    try {
      const status = await readStatus(playbook, pool)
      io.out(o.json ? JSON.stringify(status, null, 2) : renderStatus(status))
      return 0
    } finally {
      await pool.end()
    }
  },
})
