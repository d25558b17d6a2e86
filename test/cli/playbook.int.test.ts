import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CliIO } from '../../src/cli/command.js'
import { runCli } from '../../src/cli/run.js'
import { FileAdminWriter } from '../../src/flags/file-admin.js'
import { createQueueControl } from '../../src/queue/control.js'
import { playbookIO, type PlaybookIO } from '../helpers/playbook-io.js'
import { redisForTest } from '../helpers/redis.js'

function io(env: NodeJS.ProcessEnv = {}) {
  const out: string[] = []
  const err: string[] = []
  const value: CliIO = { out: (l) => out.push(l), err: (l) => err.push(l), isTTY: false, env: { USER: 'tester', ...env } }
  return { io: value, out, err, text: () => out.join('\n'), errors: () => err.join('\n') }
}

let t: PlaybookIO
let file: string
let target: string[]
let env: NodeJS.ProcessEnv

beforeAll(async () => {
  t = await playbookIO('pbcli')
  file = join(t.dir, 'shop.yaml')
  await writeFile(
    file,
    `version: 1
name: shop
routes: { match: ["shop.*"], exclude: [shop.admin] }
stages:
  - name: shadow
    actions: { mode: shadow, shadowRate: 0.2 }
    hold: 1h
    gates: { manual: "looks good?" }
  - name: "on"
    actions: { mode: "on" }
    hold: 1h
`,
  )
  await new FileAdminWriter({ path: t.flagsFile }).createRoutes(['shop.list', 'shop.show', 'shop.admin'])
  target = ['--file', t.flagsFile]
  env = { CUTOVER_MYSQL_URL: t.db.url }
})
afterAll(async () => t.cleanup())

describe('cutover playbook validate', () => {
  it('exit 0 for the shipped playbooks, 1 with file:line:column for a bad one, 2 without a file', async () => {
    const ok = io()
    expect(await runCli(['playbook', 'validate', 'playbooks/week.yaml', 'playbooks/route.yaml', file], ok.io)).toBe(0)
    expect(ok.text()).toMatch(/^playbooks\/week\.yaml: ok \(playbook week: 5 route stage\(s\), 2 queue stage\(s\); routes \*, 3 at a time\)/)
    const badFile = join(t.dir, 'bad.yaml')
    await writeFile(badFile, 'version: 1\nname: bad\nroutes: { match: [a] }\nstages:\n  - name: x\n    hold: soon\n')
    const bad = io()
    expect(await runCli(['playbook', 'validate', badFile], bad.io)).toBe(1)
    expect(bad.errors()).toContain(`CUTOVER_ERR_PLAYBOOK_INVALID: playbook ${badFile} is invalid:\n${badFile}:6:11: stages[0].hold: expected a duration`)
    expect(await runCli(['playbook', 'validate'], io().io)).toBe(2)
  })
})

describe('cutover playbook plan', () => {
  it('prints each route of the flag target that matches, its stages, times and writes', async () => {
    const r = io()
    expect(await runCli(['playbook', 'plan', file, '--start', '2024-06-03T09:00:00Z', ...target], r.io)).toBe(0)
    expect(r.text()).toContain('route shop.list\n  shadow       from Mon 2024-06-03 09:00Z, hold 1h, advances any time\n      write: flag shop.list -> shadow rate 0.2\n      gate:  manual approval (looks good?)')
    expect(r.text()).toContain('route shop.show\n  shadow       from Mon 2024-06-03 11:00Z')
    expect(r.text()).not.toContain('shop.admin')
    const routes = io()
    expect(await runCli(['playbook', 'plan', file, '--routes', 'x,y', '--json'], routes.io)).toBe(0)
    expect(JSON.parse(routes.text()).routes.map((x: { route: string }) => x.route)).toEqual(['x', 'y'])
    expect(await runCli(['playbook', 'plan', file], io().io)).toBe(2)
    expect(await runCli(['playbook', 'plan', file, '--time-scale', '0', '--routes', 'x'], io().io)).toBe(2)
  })
})

describe('cutover playbook apply, status, approve, pause, resume, rollback', () => {
  it('runs the playbook; people act while it runs; a second runner is refused', async () => {
    const once = io(env)
    expect(await runCli(['playbook', 'apply', file, '--once', '--time-scale', '3600', ...target], once.io)).toBe(0)
    expect(once.text()).toMatch(/runner started by runner:tester@cli, time scale 3600\n.*shop\.list: entered stage shadow\n.*shop\.list: flag shadow rate 0\.2 \(was off\)$/)

    const status = io(env)
    expect(await runCli(['playbook', 'status', file], status.io)).toBe(0)
    expect(status.text()).toMatch(/^playbook shop: running \(time scale 3600\)\nshop\.list: active, stage shadow since \S+Z, hold [\dhms ]+ left \(\d+ms wall\), flag shadow rate 0\.2, failures 0$/)

    const running = io(env)
    const applying = runCli(['playbook', 'apply', file, '--time-scale', '3600', '--interval', '100ms', ...target], running.io)
    await expect.poll(() => running.text(), { timeout: 10_000 }).toContain('runner started')
    // The gate readings of a running stage show in status.
    await expect.poll(async () => {
      const s = io(env)
      await runCli(['playbook', 'status', file], s.io)
      return s.text()
    }, { timeout: 10_000 }).toContain('  hold manual: waiting for `cutover playbook approve`: looks good?')
    const second = io(env)
    expect(await runCli(['playbook', 'apply', file, '--once', ...target], second.io)).toBe(1)
    expect(second.errors()).toContain('CUTOVER_ERR_PLAYBOOK_LOCKED: playbook "shop" already has a runner')

    const approved = io(env)
    expect(await runCli(['playbook', 'approve', file, '--route', 'shop.list'], approved.io)).toBe(0)
    expect(approved.text()).toBe('shop.list: stage shadow approved by tester@cli')
    await expect.poll(() => running.text(), { timeout: 10_000 }).toContain('shop.show: entered stage shadow')
    expect(await runCli(['playbook', 'approve', file, '--route', 'shop.show', '--by', 'ops'], io(env).io)).toBe(0)
    expect(await applying).toBe(0)
    expect(running.text()).toMatch(/shop\.list: done \(through on\)[\s\S]*shop\.show: stage shadow approved by ops[\s\S]*playbook completed: 2 route\(s\) done$/)
    expect(running.text()).toMatch(/^\S+Z \[playbook \S+Z\] /m)
    expect((await new FileAdminWriter({ path: t.flagsFile }).getRoute('shop.show'))?.mode).toBe('on')

    const rolled = io(env)
    const rolledCode = await runCli(['playbook', 'rollback', file, '--route', 'shop.show', ...target], rolled.io)
    expect(rolledCode, rolled.errors() + rolled.text()).toBe(0)
    expect(rolled.text()).toBe(
      'shop.show: ROLLED BACK to off (by tester@cli); it stays off until `cutover playbook resume --route shop.show` (would re-enter shadow)\nshop.show: flag off (was on)',
    )
    expect((await new FileAdminWriter({ path: t.flagsFile }).getRoute('shop.show'))?.mode).toBe('off')
    const after = io(env)
    expect(await runCli(['playbook', 'status', file, '--json'], after.io)).toBe(0)
    expect(JSON.parse(after.text()).routes.find((r: { route: string }) => r.route === 'shop.show')).toMatchObject({ status: 'parked', flag: 'off' })
    expect(await runCli(['playbook', 'rollback', file, '--route', 'shop.show', ...target], io(env).io)).toBe(0)

    const paused = io(env)
    expect(await runCli(['playbook', 'pause', file, '--route', 'shop.list'], paused.io)).toBe(0)
    expect(paused.text()).toBe('shop.list: paused by tester@cli')
    expect(await runCli(['playbook', 'resume', file, '--route', 'shop.list'], io(env).io)).toBe(0)
    const resumed = io(env)
    expect(await runCli(['playbook', 'resume', file, '--route', 'shop.show', '--stage', 'on'], resumed.io)).toBe(0)
    expect(resumed.text()).toBe('shop.show: resumed by tester@cli at on')
    const again = io(env)
    expect(await runCli(['playbook', 'apply', file, '--once', ...target], again.io)).toBe(0)
    expect(again.text()).toContain('shop.show: resumed at stage on')
  }, 60_000)

  it.each([
    [['playbook', 'approve', 'playbooks/route.yaml', '--db', 'mysql://root@127.0.0.1:3306/test'], /give --route ID or --queue/],
    [['playbook', 'rollback', 'playbooks/route.yaml', '--db', 'mysql://root@127.0.0.1:3306/test', '--file', 'f.yaml'], /give --route ID or --all/],
    [['playbook', 'apply', 'playbooks/route.yaml', '--interval', 'often', '--file', 'f.yaml'], /expected --interval to be a duration/],
    [['playbook', 'status', 'playbooks/route.yaml', 'playbooks/week.yaml'], /give exactly one playbook/],
    [['playbook', 'status', 'x.yaml'], /expected playbook to be an existing file, got "x.yaml"/],
    [['playbook', 'pause', 'playbooks/route.yaml'], /missing --db/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const r = io()
    expect(await runCli(argv, r.io)).toBe(2)
    expect(r.errors()).toMatch(message)
  })

  it('apply reads the meter for traffic gates (--json prints journal events), and refuses queue steps without a queue control', async () => {
    const gated = join(t.dir, 'gated.yaml')
    await writeFile(gated, 'version: 1\nname: gated\nroutes: { match: [g.one] }\nstages:\n  - { name: c, actions: { mode: canary, percent: 5 }, hold: 1h, gates: { p99: { maxMs: 100 } } }\n')
    const r = io(env)
    expect(await runCli(['playbook', 'apply', gated, '--once', '--json', '--meter-prefix', 'cutover-test-none', '--bucket-seconds', '1', ...target], r.io)).toBe(0)
    expect(r.out.map((l) => JSON.parse(l).body.kind)).toEqual(['started', 'stage_entered', 'flag_write'])
    expect(await runCli(['playbook', 'apply', gated, '--once', '--bucket-seconds', '0', ...target], io(env).io)).toBe(2)
    // A queue step goes through the queue's control plane in Redis: the gate policy is there for every app process.
    const queued = join(t.dir, 'queued.yaml')
    await writeFile(queued, 'version: 1\nname: queued\nroutes: { match: [q.one] }\nstages:\n  - { name: d, actions: { mode: "off", queueGate: dedupe }, hold: 1h }\n')
    const q = redisForTest('pbcli-queue')
    try {
      const step = io(env)
      expect(await runCli(['playbook', 'apply', queued, '--once', '--queue-prefix', q.prefix, ...target], step.io)).toBe(0)
      expect(step.errors()).toBe('')
      expect(await createQueueControl({ redis: q.redis, prefix: q.prefix }).gatePolicies()).toEqual({ 'q.one': 'dedupe' })
    } finally {
      await q.cleanup()
    }
  })

  it('a long-lived apply reports a failing tick once while it repeats, and stops between ticks on SIGINT', async () => {
    const none = join(t.dir, 'none.yaml')
    await writeFile(none, 'version: 1\nname: none\nroutes: { match: ["nothing.*"] }\nstages:\n  - { name: first, actions: { mode: shadow } }\n')
    const waiting = io(env)
    const idle = runCli(['playbook', 'apply', none, '--interval', '50ms', ...target], waiting.io)
    await expect.poll(() => waiting.errors(), { timeout: 10_000 }).toContain('no route matches nothing.* yet')
    process.emit('SIGINT')
    expect(await idle).toBe(0)

    const moved = join(t.dir, 'moved.yaml')
    await writeFile(moved, 'version: 1\nname: moved\nroutes: { match: [m.one] }\nstages:\n  - { name: first, actions: { mode: shadow }, hold: 1h }\n')
    expect(await runCli(['playbook', 'apply', moved, '--once', ...target], io(env).io)).toBe(0)
    // The stage the route is in disappears from the file.
    await writeFile(moved, 'version: 1\nname: moved\nroutes: { match: [m.one] }\nstages:\n  - { name: renamed, actions: { mode: shadow }, hold: 1h }\n')
    const r = io(env)
    const applying = runCli(['playbook', 'apply', moved, '--interval', '50ms', ...target], r.io)
    await expect.poll(() => r.errors(), { timeout: 10_000 }).toContain('no longer has')
    await new Promise((resolve) => setTimeout(resolve, 300))
    process.emit('SIGINT')
    expect(await applying).toBe(0)
    expect(r.err).toHaveLength(1)
    expect(r.errors()).toMatch(/^tick failed \(retrying every 50ms\): CUTOVER_ERR_PLAYBOOK_JOURNAL: playbook "moved" journal: route "m\.one" is in stage "first", which .* no longer has/)
    expect(r.text()).toContain('the playbook file changed since the last run')
  })

  it('a command that does not apply fails with exit 1 and says why', async () => {
    const r = io(env)
    expect(await runCli(['playbook', 'resume', file, '--route', 'shop.list'], r.io)).toBe(1)
    expect(r.errors()).toContain('CUTOVER_ERR_PLAYBOOK_COMMAND: playbook "shop": cannot resume shop.list: route "shop.list" is neither paused nor rolled back')
  })
})
