import { execFile } from 'node:child_process'
import { mkdirSync, rmSync, symlinkSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
// Built inside the repository so the compiled files resolve node_modules as an
// installed package would; migrations/ sits beside dist/ as in the package.
const out = join(root, '.build-test')

describe('the compiled package', () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }))

  it('builds, and its CLI and public entry load with no asset missing', async () => {
    rmSync(out, { recursive: true, force: true })
    mkdirSync(out)
    symlinkSync(join(root, 'migrations'), join(out, 'migrations'))
    symlinkSync(join(root, 'playbooks'), join(out, 'playbooks'))
    await run('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(out, 'dist')], { cwd: root })
    const help = await run('node', [join(out, 'dist/cli/main.js'), '--help'], { cwd: root })
    expect(help.stdout).toMatch(/usage: cutover <command>/)
    for (const command of ['invalidate', 'demo', 'report shadow', 'db migrate', 'flags set', 'playbook apply']) {
      const r = await run('node', [join(out, 'dist/cli/main.js'), ...command.split(' '), '--help'], { cwd: root })
      expect(r.stdout, command).toMatch(/usage/i)
    }
    // The playbook schema is read from playbooks/ beside dist/, as in the package.
    const validated = await run('node', [join(out, 'dist/cli/main.js'), 'playbook', 'validate', join(root, 'playbooks/week.yaml')], { cwd: root })
    expect(validated.stdout).toMatch(/week\.yaml: ok/)
    const entry = await run('node', ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(out, 'dist/index.js'))}); console.log(typeof m.default, typeof m.RedisPageStore)`], { cwd: root })
    expect(entry.stdout.trim()).toBe('function function')
  }, 120_000)
})
