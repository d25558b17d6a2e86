import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileFlagSource } from '../../src/flags/file-source.js'
import type { FlagSource } from '../../src/flags/flag-source.js'

const logged: Array<{ code?: string; msg: string }> = []
const logger = {
  warn: (obj: object, msg: string) => logged.push({ ...(obj as { code?: string }), msg }),
  error: (obj: object, msg: string) => logged.push({ ...(obj as { code?: string }), msg }),
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('FileFlagSource', () => {
  let dir: string
  let source: FlagSource | undefined
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-file-flags-'))
    logged.length = 0
  })
  afterEach(async () => {
    await source?.close()
    source = undefined
    await rm(dir, { recursive: true, force: true })
  })

  it('reloads on change through fs.watch, including an editor-style rename over the file', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: off\n')
    source = new FileFlagSource({ path, pollIntervalMs: 60_000, logger })
    await source.start()
    await writeFile(path, 'routes:\n  a: on\n')
    await until(() => source!.state('a').mode === 'on', 'the watched write')
    await writeFile(join(dir, 'tmp.yaml'), 'routes:\n  a: { mode: canary, percent: 5 }\n')
    await rename(join(dir, 'tmp.yaml'), path)
    await until(() => source!.state('a').mode === 'canary', 'the renamed file')
  })

  it('picks changes up by polling when watching is off', async () => {
    const path = join(dir, 'flags.json')
    await writeFile(path, JSON.stringify({ routes: { a: 'shadow' } }))
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger })
    await source.start()
    expect(source.state('a').mode).toBe('shadow')
    await writeFile(path, JSON.stringify({ routes: { a: 'on', b: { mode: 'canary', percent: 1 } } }) + '\n')
    await until(() => source!.state('b').mode === 'canary', 'the polled change')
  })

  it('starts with every route off when the file is missing, then loads it once it appears', async () => {
    const path = join(dir, 'later.yaml')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger })
    const status = await source.start()
    expect(status).toEqual({
      synchronized: false,
      origin: 'none',
      routes: 0,
      fault: { code: 'CUTOVER_ERR_FLAGS_FILE_UNREADABLE', message: expect.stringContaining(path) },
    })
    expect(logged.map((l) => l.code)).toContain('CUTOVER_ERR_FLAGS_FILE_UNREADABLE')
    await writeFile(path, 'routes: { a: on }\n')
    await until(() => source!.state('a').mode === 'on', 'the new file')
  })

  it('logs a malformed file once with a coded error naming it and keeps the last good state', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: on\n')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger })
    await source.start()
    await writeFile(path, 'routes:\n  a: { mode: canary }\n')
    await until(() => logged.length > 0, 'the fault')
    await new Promise((r) => setTimeout(r, 100))
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ code: 'CUTOVER_ERR_FLAGS_FILE_INVALID' })
    expect(logged[0]?.msg).toContain(path)
    expect(source.state('a').mode).toBe('on')
  })

  it('start() on a malformed file says so: not synchronized, no state in use, the fault named (it reported synchronized from the backend)', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: { mode: canary }\n')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 60_000, logger })
    const status = await source.start()
    expect(status).toEqual({
      synchronized: false,
      origin: 'none',
      routes: 0,
      fault: { code: 'CUTOVER_ERR_FLAGS_FILE_INVALID', message: expect.stringContaining(path) },
    })
    expect(source.state('a').mode).toBe('off')
    expect(logged.map((l) => l.code)).toEqual(['CUTOVER_ERR_FLAGS_FILE_INVALID'])
  })

  it.each([
    ['flags.yaml', ''],
    ['flags.yaml', '# routes are added by the playbook\n'],
    ['flags.json', '  \n'],
  ])('start() on an empty %s (%j) says so: not synchronized, CUTOVER_ERR_FLAGS_FILE_EMPTY', async (name, text) => {
    const path = join(dir, name)
    await writeFile(path, text)
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 60_000, logger })
    expect(await source.start()).toEqual({
      synchronized: false,
      origin: 'none',
      routes: 0,
      fault: { code: 'CUTOVER_ERR_FLAGS_FILE_EMPTY', message: expect.stringContaining(path) },
    })
  })

  it('an empty file written over a good one keeps the last good state, logged once and counted (every route went off silently)', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: on\n  b: { mode: canary, percent: 20 }\n')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger })
    await source.start()
    const changes: string[] = []
    source.onChange((c) => changes.push(c.routeId))
    await writeFile(path, '')
    await until(() => logged.length > 0, 'the fault')
    await new Promise((r) => setTimeout(r, 100))
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ code: 'CUTOVER_ERR_FLAGS_FILE_EMPTY' })
    expect(logged[0]?.msg).toContain(path)
    expect(source.state('a').mode).toBe('on')
    expect(source.state('b')).toMatchObject({ mode: 'canary', percent: 20 })
    expect(changes).toEqual([])
    expect(source.stats().faults).toEqual({ CUTOVER_ERR_FLAGS_FILE_EMPTY: 1 })
    // A file that says so explicitly does turn every route off.
    await writeFile(path, 'routes: {}\n')
    await until(() => source!.state('a').mode === 'off', 'the explicit all-off file')
    expect(source.state('b').mode).toBe('off')
  })

  it('emptyMeansAllOff: an empty file turns every route off, at start-up and later, without a fault', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, '')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger, emptyMeansAllOff: true })
    expect(await source.start()).toEqual({ synchronized: true, origin: 'backend', routes: 0 })
    await writeFile(path, 'routes:\n  a: on\n')
    await until(() => source!.state('a').mode === 'on', 'the first routes')
    const changes: string[] = []
    source.onChange((c) => changes.push(`${c.routeId}:${c.current.mode}`))
    await writeFile(path, '\n')
    await until(() => source!.state('a').mode === 'off', 'the empty file')
    expect(changes).toEqual(['a:off'])
    expect(source.stats().faults).toEqual({})
    expect(logged).toEqual([])
  })

  it('a file naming a route id no route can have is invalid (the last good state stays)', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: on\n')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 60_000, logger })
    await source.start()
    await writeFile(path, 'routes:\n  a: off\n  "bad id{": on\n')
    await (source as FileFlagSource).reload()
    expect(source.state('a').mode).toBe('on')
    expect(logged).toHaveLength(1)
    expect(logged[0]).toMatchObject({ code: 'CUTOVER_ERR_FLAGS_FILE_INVALID' })
    expect(logged[0]?.msg).toMatch(/"bad id\{".*1-128 characters of letters, digits/)
  })

  it('a file deleted while polling (watch off) is logged once and counted, the last good state kept (it went unnoticed)', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: on\n')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger })
    await source.start()
    await rm(path)
    await until(() => logged.length > 0, 'the fault')
    await new Promise((r) => setTimeout(r, 100))
    expect(logged.map((l) => l.code)).toEqual(['CUTOVER_ERR_FLAGS_FILE_UNREADABLE'])
    expect(source.stats().faults).toEqual({ CUTOVER_ERR_FLAGS_FILE_UNREADABLE: 1 })
    expect(source.state('a').mode).toBe('on')
    // Back again: read as usual.
    await writeFile(path, 'routes:\n  a: { mode: canary, percent: 5 }\n')
    await until(() => source!.state('a').mode === 'canary', 'the restored file')
  })

  it('a file missing at start is logged once, not again by the first poll', async () => {
    const path = join(dir, 'never.yaml')
    source = new FileFlagSource({ path, watch: false, pollIntervalMs: 20, logger })
    await source.start()
    await new Promise((r) => setTimeout(r, 150))
    expect(logged.map((l) => l.code)).toEqual(['CUTOVER_ERR_FLAGS_FILE_UNREADABLE'])
  })

  it('rejects bad options with a coded error', () => {
    expect(() => new FileFlagSource({ path: 'x.yaml', emptyMeansAllOff: 'yes' as never })).toThrow(/emptyMeansAllOff to be a boolean/)
    expect(() => new FileFlagSource({ path: '' })).toThrow(/path to be the flags file/)
    expect(() => new FileFlagSource({ path: 'x.yaml', pollIntervalMs: 1 })).toThrow(/pollIntervalMs/)
  })
})
