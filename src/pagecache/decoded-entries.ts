import type { StoredEntry } from './store.js'

/**
 * The last decoded entry of each recently read Redis key, with the exact bytes
 * it was decoded from. A hot page is read on every hit; when Redis hands back
 * the same bytes as last time, decoding them again (the header JSON, the
 * entry checks, the brotli body) can only give the same entry, so it is
 * reused after one byte comparison. Any change in the stored value, whoever
 * wrote it, is decoded and checked afresh. Bounded by bytes, least recently
 * read first out.
 */
export class DecodedEntries {
  readonly #held = new Map<string, { raw: Buffer; entry: StoredEntry; bytes: number; tags?: string[] }>()
  #bytes = 0

  constructor(readonly maxBytes: number) {}

  /** The entry decoded from exactly `raw` under `name`, if held. */
  get(name: string, raw: Buffer): StoredEntry | undefined {
    const held = this.#held.get(name)
    if (held === undefined) return undefined
    if (!held.raw.equals(raw)) {
      this.#drop(name)
      return undefined
    }
    this.#held.delete(name)
    this.#held.set(name, held)
    return held.entry
  }

  /**
   * The tag names of the page last decoded under `name`, if one is held (one
   * array per held entry): what a lookup of that key is likely to need the
   * states of. A guess only: the value may have changed since.
   */
  tagsOf(name: string): string[] | undefined {
    const held = this.#held.get(name)
    if (held === undefined || held.entry.kind !== 'page') return undefined
    held.tags ??= Object.keys(held.entry.tags)
    return held.tags
  }

  set(name: string, raw: Buffer, entry: StoredEntry): void {
    this.#drop(name)
    const bytes = raw.length + (entry.kind === 'page' ? entry.body.length : 0)
    if (bytes > this.maxBytes / 4) return
    this.#held.set(name, { raw, entry, bytes })
    this.#bytes += bytes
    for (const oldest of this.#held.keys()) {
      if (this.#bytes <= this.maxBytes) break
      this.#drop(oldest)
    }
  }

  /** Bytes held (raw values and decoded bodies). */
  get size(): number {
    return this.#bytes
  }

  #drop(name: string): void {
    const held = this.#held.get(name)
    if (held === undefined) return
    this.#held.delete(name)
    this.#bytes -= held.bytes
  }
}
