import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileAdminWriter } from '../../src/flags/file-admin.js'

describe('FileAdminWriter', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cutover-file-admin-'))
  })
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('applies concurrent changes one after another without losing any', async () => {
    const writer = new FileAdminWriter({ path: join(dir, 'flags.json') })
    await Promise.all(Array.from({ length: 20 }, (_, i) => writer.setRoute(`r${i}`, { mode: 'canary', percent: i })))
    for (let i = 0; i < 20; i++) expect((await writer.getRoute(`r${i}`))?.percent).toBe(i)
  })

  it("keeps a route's stickiness group across changes", async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: { mode: canary, percent: 10, groupId: original }\n')
    const writer = new FileAdminWriter({ path })
    expect(await writer.setRoute('a', { mode: 'canary', percent: 50 })).toMatchObject({ percent: 50, groupId: 'original' })
  })

  it('rejects an invalid change and leaves the file as it was', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: on\n')
    const writer = new FileAdminWriter({ path })
    await expect(writer.setRoute('a', { mode: 'shadow', shadowRate: 3 })).rejects.toMatchObject({ code: 'CUTOVER_ERR_FLAGS_STATE_INVALID' })
    expect(await readFile(path, 'utf8')).toBe('routes:\n  a: on\n')
    await writeFile(path, 'routes: [')
    await expect(writer.getKill()).rejects.toMatchObject({ code: 'CUTOVER_ERR_FLAGS_FILE_INVALID' })
  })
})
