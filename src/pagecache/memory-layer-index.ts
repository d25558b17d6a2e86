import type { PageKey, TagState } from './store.js'

interface Remembered {
  key: PageKey
  tags: readonly string[]
  /** The entry's own deleteAt (the memory copy's is capped). */
  deleteAt: number
  /** When the memory copy ends: min(deleteAt, remembered at + maxTtlMs). */
  expiresAt: number
}

/**
 * What a tiered store's memory layer holds, by key and by tag, so an
 * invalidation can find the copies to drop. Records are kept in insertion
 * order; every record lives at most maxTtlMs, so expired ones are swept from
 * the front as new ones arrive and the index stays bounded even when the
 * layer's LRU evicts entries on its own.
 */
export class MemoryLayerIndex {
  readonly #records = new Map<string, Remembered>()
  readonly #byTag = new Map<string, Set<string>>()

  get size(): number {
    return this.#records.size
  }

  get(id: string): Remembered | undefined {
    return this.#records.get(id)
  }

  add(id: string, record: Remembered, now: number): void {
    this.remove(id)
    this.#sweep(now)
    this.#records.set(id, record)
    for (const tag of record.tags) {
      const ids = this.#byTag.get(tag)
      if (ids) ids.add(id)
      else this.#byTag.set(tag, new Set([id]))
    }
  }

  /** Forgets one record; returns its key when there was one. */
  remove(id: string): PageKey | undefined {
    const record = this.#records.get(id)
    if (!record) return undefined
    this.#records.delete(id)
    for (const tag of record.tags) {
      const ids = this.#byTag.get(tag)
      ids?.delete(id)
      if (ids?.size === 0) this.#byTag.delete(tag)
    }
    return record.key
  }

  /** Forgets every record built under any of the tags; returns their keys. */
  removeTagged(tags: Iterable<string>): PageKey[] {
    const ids = new Set<string>()
    for (const tag of tags) for (const id of this.#byTag.get(tag) ?? []) ids.add(id)
    return [...ids].flatMap((id) => this.remove(id) ?? [])
  }

  /** Forgets everything; returns every key that was remembered. */
  clear(): PageKey[] {
    const keys = [...this.#records.values()].map((r) => r.key)
    this.#records.clear()
    this.#byTag.clear()
    return keys
  }

  #sweep(now: number): void {
    for (const [id, record] of this.#records) {
      if (record.expiresAt > now) break
      this.remove(id)
    }
  }
}

/**
 * Tag states a tiered store last saw, each for at most maxTtlMs. Versions only
 * move up, so a reply and an invalidation message arriving in either order
 * merge to the newer state.
 */
export class TagStateCache {
  readonly #states = new Map<string, { state: TagState; expiresAt: number }>()

  get(tag: string, now: number): TagState | undefined {
    return this.held(tag, now)?.state
  }

  /** The state held for a tag with when it stops being held, if it still is. */
  held(tag: string, now: number): { state: TagState; expiresAt: number } | undefined {
    const held = this.#states.get(tag)
    return held && held.expiresAt > now ? held : undefined
  }

  /** Merges a state seen now; returns the merged state. */
  merge(tag: string, state: TagState, now: number, ttlMs: number): TagState {
    const held = this.get(tag, now)
    const merged = held ? { version: Math.max(held.version, state.version), hard: Math.max(held.hard, state.hard) } : { ...state }
    this.#states.delete(tag)
    for (const [old, entry] of this.#states) {
      if (entry.expiresAt > now) break
      this.#states.delete(old)
    }
    this.#states.set(tag, { state: merged, expiresAt: now + ttlMs })
    return merged
  }

  clear(): void {
    this.#states.clear()
  }
}
