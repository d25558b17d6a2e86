import { randomBytes } from 'node:crypto'
import { CUTOVER_ERR_CACHE_CORRUPT_ENTRY, CUTOVER_ERR_CACHE_TIMEOUT } from '../errors.js'
import { entryProblem } from './entry-shape.js'
import { coversTags } from './policy.js'
import { RedisPageStore } from './redis-store.js'
import type { LookupOrLease, PageKey, PageStore, StoredEntry, TagState } from './store.js'
import { TieredPageStore } from './tiered-store.js'

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
 * Render-lease tokens: unique per process (a random part drawn once) and per
 * call (a counter). A GET's lookup makes one on every request, hit or not, so
 * it is not 16 fresh random bytes each time; a token only has to differ from
 * every other holder's, and none is ever guessed by a client (none leaves Redis).
 */
const TOKEN_BASE = randomBytes(12).toString('base64url')
let tokenSeq = 0
export function leaseToken(): string {
  tokenSeq = (tokenSeq + 1) % Number.MAX_SAFE_INTEGER
  return TOKEN_BASE + tokenSeq.toString(36)
}

/**
 * Failures that are the fault of one entry or argument, not of the store: they
 * don't count towards the breaker (one bad page must not turn the cache off
 * for every route).
 */
const ENTRY_FAULTS = new Set(['CUTOVER_ERR_CACHE_CORRUPT_ENTRY', 'CUTOVER_ERR_STORE_ARGUMENT_INVALID', 'CUTOVER_ERR_STORE_ENTRY_TOO_LARGE'])

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
  /** True for a store of the app's own: what it returns is checked like a decoded Redis entry (see entry-shape.ts). */
  private readonly checksEntries: boolean
  errors = 0

  constructor(
    readonly store: PageStore,
    private readonly options: GuardOptions,
  ) {
    this.now = options.now ?? Date.now
    this.remote = store.name !== 'memory'
    // cutover's Redis stores check entries as they decode them; its memory store holds only what the store path checked.
    this.checksEntries = this.remote && !(store instanceof RedisPageStore || store instanceof TieredPageStore)
  }

  /** False while the breaker is open: skip the cache without trying. */
  get available(): boolean {
    return this.openUntil <= this.now()
  }

  get(key: PageKey): Promise<StoredEntry | undefined> {
    if (!this.checksEntries) return this.call('get', () => this.store.get(key))
    return this.call('get', async () => {
      const entry = await this.store.get(key)
      const problem = entry === undefined ? undefined : entryProblem(entry)
      if (problem !== undefined) throw new CUTOVER_ERR_CACHE_CORRUPT_ENTRY(`${key.route}:${key.hash}`, problem)
      return entry
    })
  }
  /**
   * What the store holds for the key in process memory (see PageStore.getHeld):
   * no I/O, so no timeout and nothing for the breaker. Undefined: ask get().
   * A store of the app's own is always asked through get(), where its entries are checked.
   */
  held(key: PageKey): StoredEntry | undefined {
    if (this.checksEntries || this.store.getHeld === undefined) return undefined
    try {
      return this.store.getHeld(key)
    } catch {
      return undefined // get() will say what is wrong, with the breaker and the logging it has
    }
  }
  /** The tags' states from process memory (see PageStore.tagStatesHeld); undefined: ask tagStates(). */
  heldTagStates(tags: string[]): Record<string, TagState> | undefined {
    return this.store.tagStatesHeld?.(tags)
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
  purgeTags(tags: string[], hard: boolean): Promise<Record<string, TagState>> {
    return this.call('purgeTags', () => this.store.purgeTags(tags, hard))
  }
  /**
   * Takes the render lease under a token made here, before the call, so a
   * lease whose acquisition timed out can be released: Redis may still run
   * the `SET NX` after a stall, and a lease nobody holds would make every
   * other process wait for a page that never comes.
   */
  async acquireLease(key: PageKey, ttlMs: number): Promise<string | null> {
    const token = leaseToken()
    const attempt = this.store.acquireLease(key, ttlMs, token)
    try {
      return await this.call('acquireLease', () => attempt)
    } catch (err) {
      if ((err as { code?: string }).code === 'CUTOVER_ERR_CACHE_TIMEOUT') this.abandonLease(key, token, attempt)
      throw err
    }
  }
  /** Whether lookups can take the render lease in the same round trip (a shared store with getOrLease). */
  get leasesOnLookup(): boolean {
    return this.remote && typeof this.store.getOrLease === 'function'
  }

  /**
   * get() that takes the render lease when there is no entry, in one round
   * trip (only where leasesOnLookup). Its lease is abandoned as
   * acquireLease's is when the call times out.
   */
  async getOrLease(key: PageKey, ttlMs: number): Promise<LookupOrLease> {
    const token = leaseToken()
    const attempt = (this.store.getOrLease as NonNullable<PageStore['getOrLease']>).call(this.store, key, ttlMs, token)
    try {
      return await this.call('getOrLease', async () => {
        const found = await attempt
        const problem = this.checksEntries && found.entry !== undefined ? entryProblem(found.entry) : undefined
        if (problem !== undefined) {
          if (found.lease !== null) this.store.releaseLease(key, found.lease).catch(() => {})
          throw new CUTOVER_ERR_CACHE_CORRUPT_ENTRY(`${key.route}:${key.hash}`, problem)
        }
        // A store of the app's own may answer tags' states with the entry: only a whole answer is used.
        if (this.checksEntries && found.tagStates !== undefined && !(found.entry?.kind === 'page' && typeof found.tagStates === 'object' && found.tagStates !== null && coversTags(found.tagStates, found.entry.tags))) {
          return { entry: found.entry, lease: found.lease, held: found.held }
        }
        return found
      })
    } catch (err) {
      if ((err as { code?: string }).code === 'CUTOVER_ERR_CACHE_TIMEOUT') this.abandonLease(key, token, attempt.then((found) => found.lease))
      throw err
    }
  }

  releaseLease(key: PageKey, token: string): Promise<void> {
    return this.call('releaseLease', () => this.store.releaseLease(key, token))
  }

  /**
   * Releases a lease this process stopped waiting for. Sent at once, the
   * release travels behind the acquisition on the same connection, so Redis
   * runs it right after the late `SET NX`; sent again once the late answer
   * comes (taken, or failed with the outcome unknown), in case the first was
   * dropped with a lost connection. Both compare the token: another holder's
   * lease is never touched.
   */
  private abandonLease(key: PageKey, token: string, attempt: Promise<string | null>): void {
    const release = (held: string): void => void this.store.releaseLease(key, held).catch(() => {})
    release(token)
    attempt.then(
      (held) => {
        if (held !== null) release(held)
      },
      () => release(token),
    )
  }

  private call<T>(op: string, run: () => Promise<T>): Promise<T> {
    // An in-process store's promise as it is: no wrapper promise on the hit path.
    return this.remote ? this.callRemote(op, run) : run()
  }

  private async callRemote<T>(op: string, run: () => Promise<T>): Promise<T> {
    try {
      const result = await this.withTimeout(op, run())
      this.consecutive = 0
      return result
    } catch (err) {
      const code = (err as { code?: string }).code
      if (code === undefined || !ENTRY_FAULTS.has(code)) this.fail()
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
