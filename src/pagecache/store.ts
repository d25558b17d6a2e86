/**
 * The storage interface every page-cache driver implements (memory, Redis,
 * and the tiered memory-in-front-of-Redis store). A store stores: it never
 * decides freshness or storability. The plugin hands it absolute times
 * (`staleAt`, `deleteAt`) and reads them back; drivers may drop an entry
 * once `deleteAt` has passed, never before.
 */

/** Identifies one cached page. `route` groups keys (Redis Cluster hash tag). */
export interface PageKey {
  /** The route id from `config.cutover.id`. */
  route: string
  /** The hashed request key (hex), see pagecache/key.ts. */
  hash: string
}

/** A tag's state: `version` moves on every purge, `hard` records the version of the last hard purge. */
export interface TagState {
  version: number
  hard: number
}

export interface StoredPage {
  kind: 'page'
  status: number
  /** Response headers replayed on a hit (hop-by-hop and per-request headers already removed). */
  headers: Record<string, string | string[]>
  body: Buffer
  /**
   * The body brotli-compressed, where the store holds it so (a Redis store,
   * above its `compressAbove`): served as it is, with `Content-Encoding: br`,
   * to clients that accept br. Stores never write it: it is the stored body's
   * other form, made by the store that compressed it.
   */
  brotli?: Buffer
  /** Strong ETag computed from the body, quoted. */
  etag: string
  /** Epoch ms the page was rendered. */
  storedAt: number
  /** Epoch ms until which the page is fresh. */
  staleAt: number
  /** Epoch ms after which the page must not be served at all (end of the stale window). */
  deleteAt: number
  /** Tag name -> TagState.version at render time; the route itself is tag `@route:<id>`. */
  tags: Record<string, number>
  /** How long the render took, ms (XFetch's delta). */
  renderMs: number
  /** What a `followOrigin` route keeps of the origin's caching headers; absent on every other page. */
  origin?: OriginFacts
}

/**
 * The origin's say on a stored page of a `followOrigin` route (RFC 9111).
 * `storedAt` of such a page is the time the response was generated as far as
 * the cache can tell (receipt less its corrected initial age, §4.2.3), so
 * `now - storedAt` is its Age.
 */
export interface OriginFacts {
  /** The origin's Date field, replayed on every hit (RFC 9110 §6.6.1). */
  date?: string
  /** The ETag is the origin's own, so it may be sent back to it in If-None-Match. */
  etag: boolean
  /** Never served stale without revalidation (no-cache, must-revalidate, proxy-revalidate, s-maxage). */
  mustRevalidate: boolean
  /** ms after staleAt the page may be served while it is revalidated in the background (RFC 5861 §3). */
  swrMs: number
  /** ms after staleAt the page may be served when revalidation fails (RFC 5861 §4). */
  sieMs: number
  /**
   * The secondary key (RFC 9111 §4.1): request headers the response's Vary
   * nominates beyond the route's key, with the normalized values of the
   * request it answered. Absent when the page varies on nothing more.
   */
  vary?: Record<string, string>
}

/** "Hit for pass": this key's last render was not storable; don't queue behind it. */
export interface PassMarker {
  kind: 'pass'
  /** Why it was not storable (shown in Cache-Status detail). */
  reason: string
  storedAt: number
  deleteAt: number
}

export type StoredEntry = StoredPage | PassMarker

/** What getOrLease found: the entry, or the lease it took (or that another holder has it). */
export interface LookupOrLease {
  entry: StoredEntry | undefined
  /** The token, when this call took the lease. */
  lease: string | null
  /** True when there was no entry and another holder has the lease. */
  held: boolean
  /**
   * The states of every tag of `entry` (a page), when the store read them in
   * the lookup's own round trip (RedisPageStore does for a page it has read
   * before): read after the entry, as tagStates() would be, so the hit path
   * need not ask again. Absent: ask tagStates().
   */
  tagStates?: Record<string, TagState>
}

export interface PageStore {
  /** Driver name for logs and metrics: 'memory', 'redis', 'tiered'. */
  readonly name: string
  /**
   * The entry, or undefined when absent or past `deleteAt`.
   * Throws CUTOVER_ERR_CACHE_CORRUPT_ENTRY when what is stored can't be decoded.
   */
  get(key: PageKey): Promise<StoredEntry | undefined>
  /**
   * The entry get() would give, when the store has it in process memory and
   * can answer without I/O; undefined means "ask get()" (not "absent").
   * Optional: the hit path then answers without a promise, timer or timeout
   * of its own (there is nothing to wait for).
   */
  getHeld?(key: PageKey): StoredEntry | undefined
  /** Stores the entry until its `deleteAt`; replaces any previous one. */
  set(key: PageKey, entry: StoredEntry): Promise<void>
  /** Removes the given keys now; resolves to how many existed. */
  delete(keys: PageKey[]): Promise<number>
  /**
   * Current state of the given tags (a tag never purged is {version: 0, hard: 0}).
   * The answer is read, never changed, by its callers; a store may hand the
   * same answer out again only frozen (callers keep what they worked out from
   * a frozen answer for as long as they are given that object).
   */
  tagStates(tags: string[]): Promise<Record<string, TagState>>
  /** What tagStates() would answer, when every state is in process memory; undefined means "ask tagStates()". Optional, as getHeld. */
  tagStatesHeld?(tags: string[]): Record<string, TagState> | undefined
  /**
   * Moves the version of each tag (atomically, all or none). `hard` also records
   * the new version as a hard purge, so entries built before it are not served
   * even stale. Resolves to the new states.
   */
  purgeTags(tags: string[], hard: boolean): Promise<Record<string, TagState>>
  /**
   * Tries to take the render lease for a key for `ttlMs`. Resolves to the
   * token it is held under when taken, null when another holder has it.
   * `token` is the caller's (a random one when omitted): a caller that stops
   * waiting for the answer can still release what the call took.
   */
  acquireLease(key: PageKey, ttlMs: number, token?: string): Promise<string | null>
  /**
   * Optional: get() that, when there is no entry, also tries to take the
   * render lease, in one round trip (acquireLease's semantics). `lease` is the
   * token when it was taken, null when not (an entry was found, or another
   * holder has it: `held` tells which).
   */
  getOrLease?(key: PageKey, ttlMs: number, token: string): Promise<LookupOrLease>
  /** Releases a lease if (and only if) `token` still holds it. */
  releaseLease(key: PageKey, token: string): Promise<void>
  /** Closes connections the store opened itself (never the caller's client). */
  close(): Promise<void>
}
