import { randomBytes } from 'node:crypto'
import { readFile, rename, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { CUTOVER_ERR_FLAGS_FILE_UNREADABLE, CUTOVER_ERR_FLAGS_OPTIONS_INVALID } from '../errors.js'
import type { FlagAdminWriter } from './admin-writer.js'
import type { RouteState } from './flag-source.js'
import { emptyFlagsDocument, parseFlagsDocument, serializeFlagsDocument, type FlagsDocument } from './flags-document.js'
import { checkRouteId, toRouteState, type RouteFlagInput } from './route-state.js'

/**
 * Writes the flags file a FileFlagSource reads. Each change rewrites the file
 * through a temporary file and a rename, so a reader never sees half a file.
 */
export class FileAdminWriter implements FlagAdminWriter {
  readonly kind = 'file'
  readonly path: string
  #queue: Promise<unknown> = Promise.resolve()

  constructor(options: { path: string }) {
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID('path to be the flags file', JSON.stringify(options?.path))
    }
    this.path = resolve(options.path)
  }

  async createRoutes(routeIds: readonly string[]): Promise<string[]> {
    // Every id is checked before the file is touched.
    for (const routeId of routeIds) checkRouteId(routeId)
    return this.#update((doc) => {
      const created: string[] = []
      for (const routeId of routeIds) {
        if (doc.routes.has(routeId)) continue
        doc.routes.set(routeId, toRouteState(routeId, 'off'))
        created.push(routeId)
      }
      return created
    })
  }

  setRoute(routeId: string, input: RouteFlagInput): Promise<RouteState> {
    return this.#update((doc) => {
      // Keep the route's stickiness group unless the caller names one: a
      // changed group would reshuffle who is in the canary.
      const groupId = input.groupId ?? doc.routes.get(routeId)?.groupId ?? routeId
      const state = toRouteState(routeId, { ...input, groupId })
      doc.routes.set(routeId, state)
      return state
    })
  }

  async getRoute(routeId: string): Promise<RouteState | undefined> {
    checkRouteId(routeId)
    return (await this.#read()).routes.get(routeId)
  }

  async listRoutes(): Promise<string[]> {
    return [...(await this.#read()).routes.keys()].sort()
  }

  async setKill(on: boolean): Promise<void> {
    await this.#update((doc) => {
      doc.kill = on
    })
  }

  async getKill(): Promise<boolean> {
    return (await this.#read()).kill
  }

  async #read(): Promise<FlagsDocument> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyFlagsDocument()
      throw new CUTOVER_ERR_FLAGS_FILE_UNREADABLE(this.path, (err as Error).message)
    }
    // The writer starts a missing or empty file afresh: it writes a whole document either way.
    try {
      return parseFlagsDocument(text, this.path)
    } catch (err) {
      if ((err as { code?: string }).code === 'CUTOVER_ERR_FLAGS_FILE_EMPTY') return emptyFlagsDocument()
      throw err
    }
  }

  // One read-modify-write at a time within this writer.
  #update<T>(change: (doc: FlagsDocument) => T): Promise<T> {
    const run = this.#queue.then(async () => {
      const doc = await this.#read()
      const result = change(doc)
      const tmp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`
      await writeFile(tmp, serializeFlagsDocument(doc, this.path))
      await rename(tmp, this.path)
      return result
    })
    this.#queue = run.catch(() => {})
    return run
  }
}
