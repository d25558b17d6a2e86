import { CUTOVER_ERR_CACHE_TIMEOUT } from '../errors.js'
import type { PageKey, PageStore, StoredEntry, TagState } from './store.js'

export interface GuardOptions {
  /** Longest a cache call may take before the request is served without it, ms. */
  timeoutMs: number
  /** Consecutive failures that open the breaker. */
  failures: number
  /** How long an open breaker skips the cache before trying again, ms. */
  cooldownMs: number
  onError: (op: string, err: unknown) => void
  now?: () => number
}

/**
 * Puts a timeout on every call to a remote store and a breaker in front of it,
 * so a slow or absent Redis costs each request at most one timeout while it
 * fails, and nothing while the breaker is open. The plugin treats any throw
 * from here as "no cache" (fail open). In-process stores are used as they are.
 */
export class GuardedStore {
  private consecutive = 0
  private openUntil = 0
  private readonly now: () => number
  /** False for an in-process store: no timeout, no breaker, no cross-process lease needed. */
  readonly remote: boolean
  errors = 0

  constructor(
    readonly store: PageStore,
    private readonly options: GuardOptions,
  ) {
    this.now = options.now ?? Date.now
    this.remote = store.name !== 'memory'
  }

  /** False while the breaker is open: skip the cache without trying. */
  get available(): boolean {
    return this.openUntil <= this.now()
  }

  get(key: PageKey): Promise<StoredEntry | undefined> {
    return this.call('get', () => this.store.get(key))
  }
  set(key: PageKey, entry: StoredEntry): Promise<void> {
    return this.call('set', () => this.store.set(key, entry))
  }
  delete(keys: PageKey[]): Promise<number> {
    return this.call('delete', () => this.store.delete(keys))
  }
  tagStates(tags: string[]): Promise<Record<string, TagState>> {
    return this.call('tagStates', () => this.store.tagStates(tags))
  }
  acquireLease(key: PageKey, ttlMs: number): Promise<string | null> {
    return this.call('acquireLease', () => this.store.acquireLease(key, ttlMs))
  }
  releaseLease(key: PageKey, token: string): Promise<void> {
    return this.call('releaseLease', () => this.store.releaseLease(key, token))
  }

  private async call<T>(op: string, run: () => Promise<T>): Promise<T> {
    if (!this.remote) return run()
    try {
      const result = await this.withTimeout(op, run())
      this.consecutive = 0
      return result
    } catch (err) {
      const code = (err as { code?: string }).code
      // A corrupt entry is the entry's fault, not the store's: no breaker.
      if (code !== 'CUTOVER_ERR_CACHE_CORRUPT_ENTRY') this.fail()
      this.options.onError(op, err)
      throw err
    }
  }

  private fail(): void {
    this.errors++
    this.consecutive++
    if (this.consecutive >= this.options.failures) {
      this.openUntil = this.now() + this.options.cooldownMs
      // Half-open after the cool-down: one more failure re-opens at once.
      this.consecutive = this.options.failures - 1
    }
  }

  private withTimeout<T>(op: string, promise: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new CUTOVER_ERR_CACHE_TIMEOUT(op, this.options.timeoutMs)), this.options.timeoutMs)
    })
    promise.catch(() => {}) // a late rejection after the timeout must not go unhandled
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
  }
}
