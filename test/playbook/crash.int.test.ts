import { fork } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileAdminWriter } from '../../src/flags/file-admin.js'
import type { JournalEvent } from '../../src/playbook/events.js'
import { Journal } from '../../src/playbook/journal.js'
import { playbookIO, type PlaybookIO } from '../helpers/playbook-io.js'

// A runner in its own process, killed with SIGKILL right after a flag write
// (before the journal has it) and right before one (the stage journaled, the
// write not made); restarted each time. The journal must show every stage
// entered once, every write made once, and holds not restarted.

const SCALE = 3600 // a 1h hold is one second of wall time
const PLAYBOOK = `version: 1
name: crash
routes: { match: [c1] }
stages:
  - { name: one, actions: { mode: shadow }, hold: 1h }
  - { name: two, actions: { mode: canary, percent: 10 }, hold: 2h }
  - { name: three, actions: { mode: "on" }, hold: 1h }
`

let io: PlaybookIO
let playbookFile: string
beforeAll(async () => {
  io = await playbookIO('pbcrash')
  playbookFile = join(io.dir, 'crash.yaml')
  await writeFile(playbookFile, PLAYBOOK)
})
afterAll(async () => io.cleanup())

interface Run {
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  crashed: Promise<string>
  kill(): void
}

function runner(crash?: string): Run {
  const child = fork(new URL('./fixtures/runner-child.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, MYSQL_URL: io.db.url, FLAGS_FILE: io.flagsFile, PLAYBOOK: playbookFile, TIME_SCALE: String(SCALE), ...(crash ? { CRASH: crash } : {}) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return {
    exit: new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal }))),
    crashed: new Promise((resolve) => child.on('message', (m) => (m as { crashed?: string }).crashed && resolve((m as { crashed: string }).crashed))),
    kill: () => child.kill('SIGKILL'),
  }
}

const line = (e: JournalEvent): string => {
  const b = e.body
  if (b.kind === 'stage_entered') return `entered ${b.stage}`
  if (b.kind === 'flag_write') return `flag ${b.flag.mode} ${b.changed ? 'written' : 'confirmed'}`
  return b.kind
}

describe('a runner killed with SIGKILL and restarted', () => {
  it('resumes the same stage with its hold spent, and neither repeats nor skips a write', async () => {
    const a = runner('after:c1:canary')
    expect(await a.crashed).toBe('after')
    a.kill()
    expect((await a.exit).signal).toBe('SIGKILL')
    const flags = new FileAdminWriter({ path: io.flagsFile })
    // The write was made; the journal does not have it.
    expect(await flags.getRoute('c1')).toMatchObject({ mode: 'canary', percent: 10 })
    const journal = new Journal(io.db.pool, 'crash')
    expect((await journal.load()).map(line)).toEqual(['started', 'entered one', 'flag shadow written', 'entered two'])

    const b = runner('before:c1:on')
    expect(await b.crashed).toBe('before')
    const stoppedAt = Date.now()
    b.kill()
    await b.exit
    expect((await flags.getRoute('c1'))?.mode).toBe('canary')
    // Dead for longer than stage three's hold: a restart must not wait for it again.
    await new Promise((r) => setTimeout(r, Math.max(0, 1500 - (Date.now() - stoppedAt))))

    const c = runner()
    expect(await c.exit).toEqual({ code: 0, signal: null })
    const events = await journal.load()
    expect(events.map(line)).toEqual([
      'started', 'entered one', 'flag shadow written', 'entered two',
      'started', 'flag canary confirmed', 'entered three',
      'started', 'flag on written', 'route_done', 'completed',
    ])
    expect((await flags.getRoute('c1'))?.mode).toBe('on')
    // Stage two's 2h hold ran across the first crash: counted from its entry, not from the restart.
    const [two, three] = ['two', 'three'].map((s) => events.find((e) => e.body.kind === 'stage_entered' && e.body.stage === s) as JournalEvent)
    expect((three?.scaled ?? 0) - (two?.scaled ?? 0)).toBeGreaterThanOrEqual(2 * 3_600_000)
    // Stage three's hold passed while no runner ran: the last runner finished on its first tick.
    const lastStart = events.findLast((e) => e.body.kind === 'started') as JournalEvent
    const done = events.find((e) => e.body.kind === 'route_done') as JournalEvent
    expect(done.wall - lastStart.wall).toBeLessThan(1000)
    // Every scaled time follows from the clock of the run: one continuous playbook clock.
    for (const [prev, next] of events.slice(1).map((e, i) => [events[i] as JournalEvent, e] as const)) expect(next.scaled).toBeGreaterThanOrEqual(prev.scaled)
  }, 60_000)
})
