import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = resolve(import.meta.dirname, '../..')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, unknown>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
}

/** A symbol each subpath must export (proof it loaded the right module). */
const PROBES: Record<string, string> = {
  cutover: 'RedisPageStore',
  'cutover/flags': 'FileFlagSource',
  'cutover/flags/unleash': 'UnleashFlagSource',
  'cutover/meter': 'Meter',
  'cutover/queue': 'ListRefreshQueue',
  'cutover/queue/bullmq': 'BullmqRefreshQueue',
  'cutover/shadow': 'createShadowRunner',
  'cutover/report': 'buildShadowReport',
  'cutover/db': 'migrate',
  'cutover/playbook': 'PlaybookRunner',
}

const OPTIONAL_PEERS = Object.keys(pkg.peerDependencies).filter((name) => pkg.peerDependenciesMeta[name]?.optional)

async function importIn(dir: string, specifier: string, probe: string): Promise<string> {
  const script = `const m = await import(${JSON.stringify(specifier)}); console.log(typeof m[${JSON.stringify(probe)}])`
  const { stdout } = await run('node', ['--input-type=module', '-e', script], { cwd: dir })
  return stdout.trim()
}

/**
 * The packed tarball, installed in an empty folder as a user would install it:
 * without its optional peers first (so any import of one fails), then with them.
 */
describe('the packed package in a clean folder', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cutover-package-'))
  let tarball = ''

  beforeAll(async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 1 << 24 })
    tarball = join(dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename)
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }))
    await run('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir })
  }, 240_000)
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('lists a probe for every subpath it exports', () => {
    const specifiers = Object.keys(pkg.exports).filter((k) => k !== './package.json').map((k) => (k === '.' ? 'cutover' : `cutover/${k.slice(2)}`))
    expect(specifiers.sort()).toEqual(Object.keys(PROBES).sort())
  })

  it('the main entry loads without any optional peer installed (no ioredis, mysql2, bullmq, unleash-client, prom-client)', async () => {
    for (const peer of OPTIONAL_PEERS) {
      await expect(run('node', ['--input-type=module', '-e', `await import(${JSON.stringify(peer)})`], { cwd: dir }), peer).rejects.toThrow()
    }
    expect(await importIn(dir, 'cutover', 'default')).toBe('function')
    expect(await importIn(dir, 'cutover', 'MemoryPageStore')).toBe('function')
    // The light subpaths need no peer either.
    expect(await importIn(dir, 'cutover/flags', 'FileFlagSource')).toBe('function')
    expect(await importIn(dir, 'cutover/meter', 'Meter')).toBe('function')
  })

  it('a subpath that needs a missing peer says which package to install', async () => {
    await expect(importIn(dir, 'cutover/flags/unleash', 'UnleashFlagSource')).rejects.toThrow(/unleash-client/)
  })

  it('with the peers installed, every subpath loads and exports what it should, types included', async () => {
    await run('npm', ['install', ...OPTIONAL_PEERS, '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir })
    for (const [specifier, probe] of Object.entries(PROBES)) {
      expect(await importIn(dir, specifier, probe), specifier).toMatch(/function|object/)
    }
    const source = Object.entries(PROBES).map(([s, p], i) => `import { ${p} as p${i} } from '${s}'\nvoid p${i}`).join('\n')
    writeFileSync(join(dir, 'check.ts'), source)
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['check.ts'] }),
    )
    await run('node', [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir })
  }, 240_000)
})
