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

  it('refuses a route id a route cannot have and leaves the file as it was (flags create took "bad id{")', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, 'routes:\n  a: on\n')
    const writer = new FileAdminWriter({ path })
    for (const id of ['bad id{', '', 'x'.repeat(129), 'a b']) {
      await expect(writer.createRoutes(['b', id]), id).rejects.toMatchObject({ code: 'CUTOVER_ERR_FLAGS_STATE_INVALID' })
      await expect(writer.setRoute(id, { mode: 'on' }), id).rejects.toMatchObject({ code: 'CUTOVER_ERR_FLAGS_STATE_INVALID' })
      await expect(writer.getRoute(id), id).rejects.toMatchObject({ code: 'CUTOVER_ERR_FLAGS_STATE_INVALID' })
    }
    expect(await readFile(path, 'utf8')).toBe('routes:\n  a: on\n')
    // Ids the route config accepts are taken.
    expect(await writer.createRoutes(['products.list', 'GET:/api/x-y_z'])).toEqual(['products.list', 'GET:/api/x-y_z'])
  })

  it('starts an empty file afresh, as a missing one', async () => {
    const path = join(dir, 'flags.yaml')
    await writeFile(path, '')
    const writer = new FileAdminWriter({ path })
    expect(await writer.getKill()).toBe(false)
    expect(await writer.createRoutes(['a'])).toEqual(['a'])
    expect(await readFile(path, 'utf8')).toMatch(/routes:\n\s+a:\n\s+mode: off/)
  })
})
