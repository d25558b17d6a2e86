import { watch, type FSWatcher } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { basename, dirname, resolve } from 'node:path'
import { CUTOVER_ERR_FLAGS_FILE_UNREADABLE, CUTOVER_ERR_FLAGS_OPTIONS_INVALID } from '../errors.js'
import type { FlagSourceStartOptions, FlagSourceStatus } from './flag-source.js'
import { emptyFlagsDocument, parseFlagsDocument, type FlagsDocument } from './flags-document.js'
import { StateTable, type StateTableOptions } from './state-table.js'

export interface FileFlagSourceOptions extends StateTableOptions {
  /** The flags file (.json, or YAML for any other extension). */
  path: string
  /**
   * How often the file is checked for changes besides fs.watch (which misses
   * changes on some file systems and through some editors' renames).
   * @default 1000
   */
  pollIntervalMs?: number
  /** Use fs.watch on the file's directory. @default true */
  watch?: boolean
  /**
   * What a file holding no document (empty, blanks, only comments) means. By default it is refused
   * like a malformed file (CUTOVER_ERR_FLAGS_FILE_EMPTY; the last good state stays), because a
   * truncated or half-written file looks the same. true: it means every route off.
   * @default false
   */
  emptyMeansAllOff?: boolean
}

/**
 * Route flags from a JSON/YAML file, reloaded when it changes. A malformed,
 * empty or unreadable file keeps the last good state (logged with a coded error
 * and counted); a route the file does not list is off.
 */
export class FileFlagSource extends StateTable {
  readonly kind = 'file'
  readonly path: string
  readonly #pollIntervalMs: number
  readonly #useWatch: boolean
  readonly #emptyMeansAllOff: boolean
  /** true once a version of the file has been applied. */
  #applied = false
  #watcher: FSWatcher | undefined
  #poll: NodeJS.Timeout | undefined
  #debounce: NodeJS.Timeout | undefined
  #lastText: string | undefined
  #lastStat = ''
  /** true while the last read failed (so the failure is logged once, not at every poll). */
  #unreadable = false
  #loading: Promise<void> | undefined
  #again = false
  #closed = false

  constructor(options: FileFlagSourceOptions) {
    super(options)
    if (typeof options?.path !== 'string' || options.path === '') {
      throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID('path to be the flags file', JSON.stringify(options?.path))
    }
    const poll = options.pollIntervalMs ?? 1000
    if (!Number.isInteger(poll) || poll < 10) {
      throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID('pollIntervalMs to be an integer >= 10', JSON.stringify(poll))
    }
    this.path = resolve(options.path)
    this.#pollIntervalMs = poll
    this.#useWatch = options.watch ?? true
    const empty = options.emptyMeansAllOff ?? false
    if (typeof empty !== 'boolean') throw new CUTOVER_ERR_FLAGS_OPTIONS_INVALID('emptyMeansAllOff to be a boolean', JSON.stringify(empty))
    this.#emptyMeansAllOff = empty
  }

  /** Reads the file once; a missing, unreadable, malformed or empty file is reported in the status (every route off). */
  async start(_options: FlagSourceStartOptions = {}): Promise<FlagSourceStatus> {
    // Taken before the first read, so the first poll does not read (or log) the same file again.
    this.#lastStat = await this.#signature()
    await this.reload()
    this.#startWatching()
    return this.startStatus(this.#applied, this.#applied ? 'backend' : 'none')
  }

  /** Reads the file now (watchers call this); concurrent calls coalesce. */
  async reload(): Promise<void> {
    if (this.#loading) {
      this.#again = true
      return this.#loading
    }
    this.#loading = (async () => {
      do {
        this.#again = false
        await this.#load()
      } while (this.#again && !this.#closed)
    })().finally(() => {
      this.#loading = undefined
    })
    return this.#loading
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#watcher?.close()
    clearInterval(this.#poll)
    clearTimeout(this.#debounce)
    await this.#loading
  }

  async #load(): Promise<void> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      // Once per spell: the watcher and the poll may both see one deletion.
      if (this.#unreadable) return
      this.#unreadable = true
      this.fault(new CUTOVER_ERR_FLAGS_FILE_UNREADABLE(this.path, (err as Error).message), { path: this.path })
      return
    }
    this.#unreadable = false
    if (text === this.#lastText || this.#closed) return
    // Remember the text, good or bad, so the poll does not reload (or log) it every interval.
    this.#lastText = text
    const doc = this.#parse(text)
    if (!doc) return
    this.replace(doc.routes, doc.kill)
    this.#applied = true
  }

  #parse(text: string): FlagsDocument | undefined {
    try {
      return parseFlagsDocument(text, this.path)
    } catch (err) {
      const e = err as Error & { code?: string }
      if (e.code === 'CUTOVER_ERR_FLAGS_FILE_EMPTY' && this.#emptyMeansAllOff) return emptyFlagsDocument()
      this.fault(e, { path: this.path })
      return undefined
    }
  }

  #startWatching(): void {
    if (this.#closed) return
    if (this.#useWatch) {
      try {
        const name = basename(this.path)
        this.#watcher = watch(dirname(this.path), { persistent: false }, (_event, file) => {
          if (file === null || file === name) this.#schedule()
        })
        this.#watcher.on('error', () => {
          this.#watcher?.close()
          this.#watcher = undefined
        })
      } catch {
        this.#watcher = undefined // the poll below still sees changes
      }
    }
    this.#poll = setInterval(() => void this.#checkStat(), this.#pollIntervalMs)
    this.#poll.unref()
  }

  #schedule(): void {
    clearTimeout(this.#debounce)
    this.#debounce = setTimeout(() => void this.reload(), 25)
    this.#debounce.unref()
  }

  async #signature(): Promise<string> {
    try {
      const s = await stat(this.path)
      return `${s.ino}:${s.size}:${s.mtimeMs}`
    } catch {
      return 'missing'
    }
  }

  async #checkStat(): Promise<void> {
    const signature = await this.#signature()
    if (signature === this.#lastStat) return
    this.#lastStat = signature
    // A file gone is read too: the failure is logged and counted (the last good state stays),
    // where it used to go unnoticed without fs.watch.
    await this.reload()
  }
}
