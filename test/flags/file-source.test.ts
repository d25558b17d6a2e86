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
    expect(status).toEqual({ synchronized: false, origin: 'none', routes: 0 })
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

  it('rejects bad options with a coded error', () => {
    expect(() => new FileFlagSource({ path: '' })).toThrow(/path to be the flags file/)
    expect(() => new FileFlagSource({ path: 'x.yaml', pollIntervalMs: 1 })).toThrow(/pollIntervalMs/)
  })
})
