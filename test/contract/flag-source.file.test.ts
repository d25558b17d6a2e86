import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileFlagSource } from '../../src/flags/file-source.js'
import { serializeFlagsDocument } from '../../src/flags/flags-document.js'
import { toRouteState } from '../../src/flags/route-state.js'
import { flagSourceContract } from './flag-source.contract.js'

const quiet = { warn: () => {}, error: () => {} }

for (const ext of ['yaml', 'json']) {
  flagSourceContract(`file (${ext})`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cutover-flags-'))
    const path = join(dir, `flags.${ext}`)
    return {
      async open(options = {}) {
        const source = new FileFlagSource({ path, watch: false, pollIntervalMs: 60_000, logger: quiet, ...options })
        return { source, status: await source.start() }
      },
      async write(routes, kill = false) {
        const doc = { kill, routes: new Map(Object.entries(routes).map(([id, r]) => [id, toRouteState(id, r)])) }
        await writeFile(path, serializeFlagsDocument(doc, path))
      },
      async corrupt() {
        await writeFile(path, ext === 'json' ? '{ "routes": ' : 'routes: [unclosed')
      },
      async settle(source) {
        await (source as FileFlagSource).reload()
      },
      async cleanup() {
        await rm(dir, { recursive: true, force: true })
      },
    }
  })
}
