import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import nock from 'nock'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { io } from '../helpers/cli.js'
import { runCli } from '../../src/cli/run.js'
import { FileFlagSource } from '../../src/flags/file-source.js'


describe('cutover flags (file target)', () => {
  let dir: string
  let path: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-cli-flags-'))
    path = join(dir, 'flags.yaml')
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('creates, sets, shows and kills; a FileFlagSource reads the result', async () => {
    const t = io()
    expect(await runCli(['flags', 'create', 'a', 'b', '--file', path], t)).toBe(0)
    expect(await runCli(['flags', 'create', 'a', '--file', path], t)).toBe(0)
    expect(t.lines).toEqual(['a: created (off)', 'b: created (off)', 'a: exists'])
    expect(await runCli(['flags', 'set', 'a', '--mode', 'canary', '--percent', '10', '--file', path], t)).toBe(0)
    expect(t.lines.at(-1)).toBe('a: canary 10% (group a)')
    expect(await runCli(['flags', 'set', 'b', '--mode', 'shadow', '--shadow-rate', '0.5'], io({ CUTOVER_FLAGS_FILE: path }))).toBe(0)
    const source = new FileFlagSource({ path, watch: false, logger: { warn() {}, error() {} } })
    await source.start()
    expect(source.state('a')).toMatchObject({ mode: 'canary', percent: 10 })
    expect(source.state('b')).toMatchObject({ mode: 'shadow', shadowRate: 0.5 })
    expect(await runCli(['flags', 'kill', '--file', path], t)).toBe(0)
    await source.reload()
    expect(source.state('a').mode).toBe('off')
    expect(await runCli(['flags', 'kill', '--off', '--file', path], t)).toBe(0)
    await source.reload()
    expect(source.state('a').mode).toBe('canary')
    await source.close()
    const shown = io()
    expect(await runCli(['flags', 'show', 'a', 'zzz', '--file', path], shown)).toBe(0)
    expect(shown.lines).toEqual(['kill switch: off', 'a: canary 10% (group a)', 'zzz: no flag (off)'])
    expect(await readFile(path, 'utf8')).toContain('kill: false')
  })

  it.each([
    [['flags', 'set', 'a', '--mode', 'sideways', '--file', 'x.yaml'], /expected --mode to be one of off, shadow, canary, on/],
    [['flags', 'set', 'a', '--mode', 'canary', '--percent', 'ten', '--file', 'x.yaml'], /expected --percent to be a number/],
    [['flags', 'create', '--file', 'x.yaml'], /at least one route id/],
    [['flags', 'kill'], /missing --file PATH or --unleash-url/],
    [['flags', 'kill', '--unleash-url', 'http://u/api'], /missing --token/],
    [['flags', 'kill', '--bogus'], /bogus/],
  ])('%j is a usage error (exit 2)', async (argv, message) => {
    const t = io()
    expect(await runCli(argv, t)).toBe(2)
    expect(t.errors.join('\n')).toMatch(message)
  })

  it('an out-of-range percent fails with the coded state error (exit 1)', async () => {
    const t = io()
    expect(await runCli(['flags', 'set', 'a', '--mode', 'canary', '--percent', '140', '--file', path], t)).toBe(1)
    expect(t.errors.join('\n')).toMatch(/CUTOVER_ERR_FLAGS_STATE_INVALID/)
  })
})

describe('cutover flags kill (Unleash target)', () => {
  beforeAll(() => nock.disableNetConnect())
  afterAll(() => {
    nock.cleanAll()
    nock.enableNetConnect()
  })

  it('enables the kill-switch flag through the Admin API with the token from the environment', async () => {
    const F = '/api/admin/projects/p1/features/ops.kill-switch'
    const env = { name: 'production', enabled: false, strategies: [{ id: 'k', name: 'flexibleRollout', parameters: { rollout: '100' } }] }
    const scope = nock('http://unleash-cli.test', { reqheaders: { authorization: 'admin-token' } })
      .get(F).reply(200, { name: 'ops.kill-switch', environments: [env] })
      .post(`${F}/environments/production/on`).reply(200)
    const t = io({ CUTOVER_UNLEASH_URL: 'http://unleash-cli.test/api', CUTOVER_UNLEASH_ADMIN_TOKEN: 'admin-token' })
    expect(await runCli(['flags', 'kill', '--project', 'p1', '--environment', 'production', '--prefix', 'ops.'], t)).toBe(0)
    expect(t.lines).toEqual(['kill switch ON: every cutover route is off'])
    scope.done()
  })

  it('reports an Admin API 401 with its code (exit 1)', async () => {
    nock('http://unleash-cli.test').get('/api/admin/projects/default/features/cutover.kill-switch').reply(401, { message: 'no' })
    const t = io()
    expect(await runCli(['flags', 'kill', '--unleash-url', 'http://unleash-cli.test/api', '--token', 'x'], t)).toBe(1)
    expect(t.errors.join('\n')).toMatch(/CUTOVER_ERR_FLAGS_ADMIN_AUTH/)
  })
})
