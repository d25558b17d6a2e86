import { randomUUID } from 'node:crypto'
import { describeValue } from '../describe-value.js'
import { CUTOVER_ERR_STORE_OPTIONS_INVALID } from '../errors.js'
import { checkEntryArgument } from './entry-shape.js'
import type { PageKey, PageStore, StoredEntry, TagState } from './store.js'

export interface MemoryPageStoreOptions {
  /** Upper bound on the bytes held (bodies plus an estimate of headers). @default 67108864 */
  maxBytes?: number
  /** Clock, injectable for tests. @default Date.now */
  now?: () => number
}

interface Slot {
  entry: StoredEntry
  bytes: number
  /** The key's hash, to forget its id with it. */
  hash: string
}

const ENTRY_OVERHEAD = 256

function sizeOf(entry: StoredEntry): number {
  if (entry.kind === 'pass') return ENTRY_OVERHEAD
  let bytes = ENTRY_OVERHEAD + entry.body.length + (entry.brotli?.length ?? 0)
  for (const [k, v] of Object.entries(entry.headers)) bytes += k.length + (Array.isArray(v) ? v.join('').length : v.length)
  for (const t of Object.keys(entry.tags)) bytes += t.length + 8
  return bytes
}

const slotId = (key: PageKey): string => `${key.route}\n${key.hash}`

/**
 * In-process store: an LRU bounded by bytes (a Map keeps insertion order; a
 * read moves the entry to the end, eviction takes from the front). Entries past
 * `deleteAt` are dropped when read and evicted first in line.
 */
export class MemoryPageStore implements PageStore {
  readonly name = 'memory'
  readonly maxBytes: number
  private readonly slots = new Map<string, Slot>()
  /**
   * The slot id of each held key by its hash: a hit's hash is the same
   * string every time (the key's memo), so finding its id here costs no new
   * string, where writing it out would cost one (and hashing it for the Map).
   */
  private readonly ids = new Map<string, string>()
  private readonly tags = new Map<string, TagState>()
  /**
   * tagStatesHeld's answer per tags array, frozen, valid while no purge has
   * moved `generation` since: the hit path asks with one array per page, so
   * a hot page's hundred tags are copied and judged once, not on every hit.
   */
  private readonly answers = new WeakMap<string[], { states: Record<string, TagState>; generation: number }>()
  private generation = 0
  private readonly leases = new Map<string, { token: string; until: number }>()
  private readonly now: () => number
  private bytes = 0

  constructor(options: MemoryPageStoreOptions = {}) {
    const { maxBytes = 64 * 1024 * 1024, now = () => Date.now() } = options ?? {}
    // NaN or a string would never compare above the bytes held: the store would grow without bound.
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new CUTOVER_ERR_STORE_OPTIONS_INVALID('MemoryPageStore', 'maxBytes to be a whole number of bytes > 0', describeValue(maxBytes))
    }
    if (typeof now !== 'function') throw new CUTOVER_ERR_STORE_OPTIONS_INVALID('MemoryPageStore', 'now to be a function', describeValue(now))
    this.maxBytes = maxBytes
    this.now = now
  }

  /** Bytes currently held. */
  get size(): number {
    return this.bytes
  }

  async get(key: PageKey): Promise<StoredEntry | undefined> {
    return this.getHeld(key)
  }

  /** Everything this store holds is in memory: get() without the promise. */
  getHeld(key: PageKey): StoredEntry | undefined {
    const id = this.idOf(key)
    const slot = this.slots.get(id)
    if (!slot) return undefined
    if (slot.entry.deleteAt <= this.now()) {
      this.remove(id, slot)
      return undefined
    }
    this.slots.delete(id)
    this.slots.set(id, slot)
    return slot.entry
  }

  async set(key: PageKey, entry: StoredEntry): Promise<void> {
    checkEntryArgument(entry)
    const id = slotId(key)
    const previous = this.slots.get(id)
    if (previous) this.remove(id, previous)
    const bytes = sizeOf(entry)
    if (bytes > this.maxBytes || entry.deleteAt <= this.now()) return
    this.slots.set(id, { entry, bytes, hash: key.hash })
    this.ids.set(key.hash, id)
    this.bytes += bytes
    for (const [oldest, slot] of this.slots) {
      if (this.bytes <= this.maxBytes) break
      this.remove(oldest, slot)
    }
  }

  async delete(keys: PageKey[]): Promise<number> {
    let n = 0
    for (const key of keys) {
      const id = slotId(key)
      const slot = this.slots.get(id)
      if (slot) {
        this.remove(id, slot)
        n++
      }
    }
    return n
  }

  /** Drops every entry (the tiered store does this when it may have missed an invalidation). */
  clear(): void {
    this.slots.clear()
    this.ids.clear()
    this.bytes = 0
  }

  async tagStates(tags: string[]): Promise<Record<string, TagState>> {
    return this.statesOf(tags, false)
  }

  tagStatesHeld(tags: string[]): Record<string, TagState> {
    const known = this.answers.get(tags)
    if (known !== undefined && known.generation === this.generation) return known.states
    const states = Object.freeze(this.statesOf(tags, true))
    this.answers.set(tags, { states, generation: this.generation })
    return states
  }

  /** Copies of the tags' states (frozen ones for an answer that is kept). */
  private statesOf(tags: string[], frozen: boolean): Record<string, TagState> {
    const out: Record<string, TagState> = {}
    for (const t of tags) {
      const state = { ...(this.tags.get(t) ?? { version: 0, hard: 0 }) }
      out[t] = frozen ? Object.freeze(state) : state
    }
    return out
  }

  async purgeTags(tags: string[], hard: boolean): Promise<Record<string, TagState>> {
    const out: Record<string, TagState> = {}
    if (tags.length > 0) this.generation++
    for (const t of new Set(tags)) {
      const state = this.tags.get(t) ?? { version: 0, hard: 0 }
      const next = { version: state.version + 1, hard: hard ? state.version + 1 : state.hard }
      this.tags.set(t, next)
      out[t] = { ...next }
    }
    return out
  }

  async acquireLease(key: PageKey, ttlMs: number, token: string = randomUUID()): Promise<string | null> {
    const id = slotId(key)
    const held = this.leases.get(id)
    if (held && held.until > this.now()) return null
    this.leases.set(id, { token, until: this.now() + ttlMs })
    return token
  }

  async releaseLease(key: PageKey, token: string): Promise<void> {
    const id = slotId(key)
    if (this.leases.get(id)?.token === token) this.leases.delete(id)
  }

  async close(): Promise<void> {
    this.slots.clear()
    this.ids.clear()
    this.leases.clear()
    this.bytes = 0
  }

  /** slotId(key), from `ids` when the store holds the key (the id kept there is checked to be this route's). */
  private idOf(key: PageKey): string {
    const id = this.ids.get(key.hash)
    // The same hash under another route (keys are made per route, so only by hand) is another id.
    if (id !== undefined && id.length === key.route.length + 1 + key.hash.length && id.startsWith(key.route)) return id
    return slotId(key)
  }

  private remove(id: string, slot: Slot): void {
    this.slots.delete(id)
    if (this.ids.get(slot.hash) === id) this.ids.delete(slot.hash)
    this.bytes -= slot.bytes
  }
}
