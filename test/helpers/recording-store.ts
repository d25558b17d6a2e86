import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { LookupOrLease, PageKey, TagState } from '../../src/pagecache/store.js'

/**
 * A Redis store that writes down when each of its round trips on the page
 * path starts and ends: `lookup+lease` (getOrLease), `lease`
 * (acquireLease), `tags` (tagStates).
 */
export class RecordingStore extends RedisPageStore {
  readonly calls: string[] = []

  async #record<T>(name: string, call: () => Promise<T>): Promise<T> {
    this.calls.push(`${name}:start`)
    try {
      return await call()
    } finally {
      this.calls.push(`${name}:end`)
    }
  }

  override getOrLease(key: PageKey, ttlMs: number, token: string): Promise<LookupOrLease> {
    return this.#record('lookup+lease', () => super.getOrLease(key, ttlMs, token))
  }

  override acquireLease(key: PageKey, ttlMs: number, token?: string): Promise<string | null> {
    return this.#record('lease', () => super.acquireLease(key, ttlMs, token))
  }

  override tagStates(tags: string[]): Promise<Record<string, TagState>> {
    return this.#record('tags', () => super.tagStates(tags))
  }
}
