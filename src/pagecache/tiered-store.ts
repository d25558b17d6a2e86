import { CUTOVER_ERR_STORE_ARGUMENT_INVALID, CUTOVER_ERR_STORE_OPTIONS_INVALID } from '../errors.js'
import { MAX_LIFETIME_SECONDS } from './limits.js'
import { MemoryLayerIndex, TagStateCache } from './memory-layer-index.js'
import { MemoryPageStore } from './memory-store.js'
import { asRedisClient, type RedisClient, type RedisInput } from '../redis-script.js'
import { checkStoreOptions, distinctTags, RedisPageStore, type InvalidationMessage } from './redis-store.js'
import type { LookupOrLease, PageKey, PageStore, StoredEntry, TagState } from './store.js'
import { describeValue } from '../describe-value.js'

export interface TieredPageStoreOptions {
  /** The ioredis client (5 or 6, standalone or Cluster) of the shared store. The store never closes it. */
  redis: RedisInput
  /** @default 'cutover' (see RedisPageStoreOptions.prefix) */
  prefix?: string
  /** @default 8192 (see RedisPageStoreOptions.compressAbove) */
  compressAbove?: number
  /** @default 10485760 (see RedisPageStoreOptions.maxBodyBytes) */
  maxBodyBytes?: number
  /**
   * Connection for SUBSCRIBE to the invalidation channel. The store leaves a
   * given one open (it only unsubscribes on close).
   * @default redis.duplicate(), closed on close()
   */
  subscriber?: RedisInput
  memory?: {
    /** Bytes the memory layer may hold. @default 67108864 (64 MiB) */
    maxBytes?: number
    /** Longest a page is served from memory without asking Redis, ms; 0 turns the layer off (no subscriber is opened). @default 5000 */
    maxTtlMs?: number
  }
  /** Called with errors of the invalidation subscription (reads go to Redis meanwhile). @default ignore */
  onSubscriberError?: (err: Error) => void
}

export const TIERED_STORE_DEFAULTS = Object.freeze({ maxBytes: 64 * 1024 * 1024, maxTtlMs: 5000 })

const KNOWN_OPTIONS = ['redis', 'prefix', 'compressAbove', 'maxBodyBytes', 'subscriber', 'memory', 'onSubscriberError']

/**
 * A small memory layer in front of a RedisPageStore. Fresh pages, pass markers
 * and tag states are answered from memory for at most `maxTtlMs`; the Redis
 * store announces purges and deletes on `<prefix>:v1:invalidate` and every TieredPageStore
 * subscribed to it (in any process, this one included) drops the copies built
 * under the purged tags or stored under the deleted keys. While the
 * subscription is down the layer is emptied and not used, since a message may
 * have been missed.
 */
export class TieredPageStore implements PageStore {
  readonly name = 'tiered'
  readonly redisStore: RedisPageStore
  readonly maxTtlMs: number
  readonly #front: MemoryPageStore
  readonly #index = new MemoryLayerIndex()
  /** Memory copies with their entries' own deleteAt, by copy (see #withDeleteAt). */
  readonly #restored = new WeakMap<StoredEntry, StoredEntry>()
  readonly #tagStates = new TagStateCache()
  /** tagStates answers given wholly from memory, by the tags array asked with (see tagStates). */
  readonly #answers = new WeakMap<string[], { states: Record<string, TagState>; generation: number; until: number }>()
  /** Undefined when maxTtlMs is 0: with no memory layer there is nothing to drop. */
  readonly #subscriber: RedisClient | undefined
  readonly #ownsSubscriber: boolean
  readonly #onError: (err: Error) => void
  /** Moves on every invalidation, so a Redis read that raced one isn't remembered. */
  #generation = 0
  /** Moves on every loss of the subscription. */
  #epoch = 0
  #live = false
  #activating = false
  #closed = false
  #ready: Promise<void>

  constructor(options: TieredPageStoreOptions) {
    checkStoreOptions('TieredPageStore', options, KNOWN_OPTIONS)
    const { redis, memory = {}, onSubscriberError } = options
    const maxBytes = memory.maxBytes ?? TIERED_STORE_DEFAULTS.maxBytes
    const maxTtlMs = memory.maxTtlMs ?? TIERED_STORE_DEFAULTS.maxTtlMs
    if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) {
      throw new CUTOVER_ERR_STORE_OPTIONS_INVALID('TieredPageStore', 'memory.maxBytes to be a whole number of bytes > 0', describeValue(maxBytes))
    }
    if (typeof maxTtlMs !== 'number' || !Number.isFinite(maxTtlMs) || maxTtlMs < 0 || maxTtlMs > MAX_LIFETIME_SECONDS * 1000) {
      throw new CUTOVER_ERR_STORE_OPTIONS_INVALID('TieredPageStore', `memory.maxTtlMs to be a number of ms from 0 to ${MAX_LIFETIME_SECONDS * 1000} (2^31 s)`, describeValue(maxTtlMs))
    }
    if (onSubscriberError !== undefined && typeof onSubscriberError !== 'function') {
      throw new CUTOVER_ERR_STORE_OPTIONS_INVALID('TieredPageStore', 'onSubscriberError to be a function', typeof onSubscriberError)
    }
    this.redisStore = new RedisPageStore({ redis, ...pick(options, ['prefix', 'compressAbove', 'maxBodyBytes']) })
    this.maxTtlMs = maxTtlMs
    this.#front = new MemoryPageStore({ maxBytes, now: () => Date.now() })
    this.#onError = onSubscriberError ?? (() => {})
    this.#ownsSubscriber = options.subscriber === undefined
    if (maxTtlMs === 0) {
      this.#subscriber = undefined
      this.#ready = Promise.resolve()
      return
    }
    const sub = options.subscriber ? asRedisClient(options.subscriber) : (asRedisClient(redis).duplicate() as RedisClient)
    this.#subscriber = sub
    sub.on('message', this.#onMessage)
    sub.on('close', this.#onDown)
    sub.on('ready', this.#onUp)
    if (this.#ownsSubscriber) sub.on('error', this.#onError)
    this.#ready = this.#activate()
  }

  /** Resolves once the first subscription attempt is over; `memoryInUse` says whether it took. */
  ready(): Promise<void> {
    return this.#ready
  }

  /** Largest page body stored (the Redis store's). */
  get maxBodyBytes(): number {
    return this.redisStore.maxBodyBytes
  }

  /** Whether reads may be answered from memory now (subscribed to invalidations). */
  get memoryInUse(): boolean {
    return this.#live
  }

  async get(key: PageKey): Promise<StoredEntry | undefined> {
    const held = this.getHeld(key)
    if (held !== undefined) return held
    const id = this.redisStore.keys.page(key)
    const generation = this.#generation
    const entry = await this.redisStore.get(key)
    if (entry) await this.#remember(id, key, entry, generation)
    return entry
  }

  async getOrLease(key: PageKey, ttlMs: number, token: string): Promise<LookupOrLease> {
    const held = this.getHeld(key)
    if (held !== undefined) return { entry: held, lease: null, held: false }
    const id = this.redisStore.keys.page(key)
    const generation = this.#generation
    const found = await this.redisStore.getOrLease(key, ttlMs, token)
    if (found.entry) await this.#remember(id, key, found.entry, generation)
    return found
  }

  /** The memory layer's copy of a fresh page or a pass marker, if it holds one; undefined means ask get() (Redis). */
  getHeld(key: PageKey): StoredEntry | undefined {
    if (!this.#live) return undefined
    const record = this.#index.get(this.redisStore.keys.page(key))
    if (record === undefined || record.expiresAt <= Date.now()) return undefined
    const copy = this.#front.getHeld(key)
    // A stale page goes back to Redis: another process may have stored its successor.
    if (copy && (copy.kind === 'pass' || Date.now() < copy.staleAt)) return this.#withDeleteAt(copy, record.deleteAt)
    return undefined
  }

  async set(key: PageKey, entry: StoredEntry): Promise<void> {
    const id = this.redisStore.keys.page(key)
    const generation = this.#generation
    // The old copy must not outlive its replacement, whether or not that is remembered.
    if (this.#index.remove(id)) await this.#front.delete([key])
    await this.redisStore.set(key, entry)
    await this.#remember(id, key, entry, generation)
  }

  async delete(keys: PageKey[]): Promise<number> {
    if (!Array.isArray(keys)) throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('keys', 'an array', typeof keys)
    const ids = keys.map((key) => this.redisStore.keys.page(key))
    await this.#drop(this.#forget(ids))
    return this.redisStore.delete(keys)
  }

  /** The tags' states, from memory where held (see tagStatesHeld), the others from Redis. */
  async tagStates(tags: string[]): Promise<Record<string, TagState>> {
    const held = this.tagStatesHeld(tags)
    if (held !== undefined) return held
    const unique = distinctTags(tags)
    if (!this.#live) return this.redisStore.tagStates(unique)
    const now = Date.now()
    const states: Record<string, TagState> = {}
    const missing: string[] = []
    for (const tag of unique) {
      const state = this.#tagStates.get(tag, now)
      if (state) states[tag] = { ...state }
      else missing.push(tag)
    }
    const generation = this.#generation
    const fetched = await this.redisStore.tagStates(missing)
    const keep = this.#live && generation === this.#generation
    for (const tag of missing) {
      const state = fetched[tag] ?? { version: 0, hard: 0 }
      states[tag] = keep ? { ...this.#tagStates.merge(tag, state, Date.now(), this.maxTtlMs) } : state
    }
    return states
  }

  /**
   * The tags' states when every one is held in memory; undefined otherwise.
   * The answer is kept for the tags array it was asked for (the hit path asks
   * with one array per page, and a list page has a hundred tags): the same
   * array asked again gets the same frozen object, with no per-tag work,
   * until the earliest of those states stops being held or an invalidation
   * moves the generation. A held state changes only through an invalidation
   * or by expiring first, so the kept answer is exactly what asking tag by
   * tag would give.
   */
  tagStatesHeld(tags: string[]): Record<string, TagState> | undefined {
    if (!this.#live) return undefined
    const now = Date.now()
    const known = this.#answers.get(tags)
    if (known !== undefined && known.generation === this.#generation && now < known.until) return known.states
    const unique = distinctTags(tags)
    const states: Record<string, TagState> = {}
    let until = Infinity
    for (const tag of unique) {
      const held = this.#tagStates.held(tag, now)
      if (held === undefined) return undefined
      states[tag] = Object.freeze({ ...held.state })
      until = Math.min(until, held.expiresAt)
    }
    Object.freeze(states)
    this.#answers.set(tags, { states, generation: this.#generation, until })
    return states
  }

  async purgeTags(tags: string[], hard: boolean): Promise<Record<string, TagState>> {
    const states = await this.redisStore.purgeTags(tags, hard)
    if (Object.keys(states).length === 0) return states
    await this.#apply({ tags: states })
    return states
  }

  acquireLease(key: PageKey, ttlMs: number, token?: string): Promise<string | null> {
    return this.redisStore.acquireLease(key, ttlMs, token)
  }

  releaseLease(key: PageKey, token: string): Promise<void> {
    return this.redisStore.releaseLease(key, token)
  }

  /** Stops listening and empties the memory layer; closes the subscriber only if the store opened it. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#live = false
    const sub = this.#subscriber
    if (sub) {
      sub.off('message', this.#onMessage)
      sub.off('close', this.#onDown)
      sub.off('ready', this.#onUp)
      if (this.#ownsSubscriber) {
        sub.disconnect()
        sub.off('error', this.#onError)
      } else {
        await sub.unsubscribe(this.redisStore.keys.invalidateChannel).catch(() => {})
      }
    }
    this.#clearAll()
    await this.#front.close()
    await this.redisStore.close()
  }

  /**
   * The memory copy with the entry's own deleteAt (the copy's is when memory
   * lets it go). Made once per copy, so a hot page is one object on every hit
   * (what is worked out per page object, such as its encodings, stays worked out).
   */
  #withDeleteAt(copy: StoredEntry, deleteAt: number): StoredEntry {
    if (copy.deleteAt === deleteAt) return copy
    const held = this.#restored.get(copy)
    if (held?.deleteAt === deleteAt) return held
    const restored = { ...copy, deleteAt }
    this.#restored.set(copy, restored)
    return restored
  }

  async #remember(id: string, key: PageKey, entry: StoredEntry, generation: number): Promise<void> {
    if (!this.#live || generation !== this.#generation) return
    const now = Date.now()
    const expiresAt = Math.min(entry.deleteAt, now + this.maxTtlMs)
    if (expiresAt <= now) return
    const tags = entry.kind === 'page' ? Object.keys(entry.tags) : []
    this.#index.add(id, { key, tags, deleteAt: entry.deleteAt, expiresAt }, now)
    await this.#front.set(key, expiresAt === entry.deleteAt ? entry : { ...entry, deleteAt: expiresAt })
    // An invalidation that arrived meanwhile may have missed this copy.
    if (generation !== this.#generation) await this.#drop(this.#forget([id]))
  }

  /** Forgets the index records of the ids and moves the generation; returns their keys. */
  #forget(ids: string[]): PageKey[] {
    this.#generation++
    return ids.flatMap((id) => this.#index.remove(id) ?? [])
  }

  async #drop(keys: PageKey[]): Promise<void> {
    if (keys.length > 0) await this.#front.delete(keys)
  }

  async #apply(message: InvalidationMessage): Promise<void> {
    this.#generation++
    const now = Date.now()
    const dropped: PageKey[] = []
    if (message.tags) {
      for (const [tag, state] of Object.entries(message.tags)) this.#tagStates.merge(tag, state, now, this.maxTtlMs)
      dropped.push(...this.#index.removeTagged(Object.keys(message.tags)))
    }
    if (message.keys) dropped.push(...this.#forget(message.keys.map((key) => this.redisStore.keys.page(key))))
    await this.#drop(dropped)
  }

  #clearAll(): void {
    this.#generation++
    this.#tagStates.clear()
    this.#index.clear()
    this.#front.clear()
  }

  async #activate(): Promise<void> {
    const sub = this.#subscriber
    if (!sub || this.#activating || this.#closed) return
    this.#activating = true
    try {
      // A connection lost while subscribing means subscribing again on the next one.
      for (let epoch = -1; epoch !== this.#epoch && !this.#closed; ) {
        epoch = this.#epoch
        await sub.subscribe(this.redisStore.keys.invalidateChannel)
      }
      if (this.#closed) return
      // Whatever was remembered before the subscription took may have missed a message.
      this.#clearAll()
      this.#live = true
    } catch (err) {
      this.#onError(err as Error)
    } finally {
      this.#activating = false
    }
  }

  readonly #onDown = (): void => {
    this.#epoch++
    this.#live = false
    this.#clearAll()
  }

  readonly #onUp = (): void => {
    if (!this.#live && !this.#activating) this.#ready = this.#activate()
  }

  readonly #onMessage = (channel: string, raw: string): void => {
    if (channel !== this.redisStore.keys.invalidateChannel) return
    const message = parseMessage(raw)
    // A message we can't read invalidated something we can't name: drop everything.
    if (message) this.#apply(message).catch((err: Error) => this.#onError(err))
    else this.#clearAll()
  }
}

function pick<T extends object, K extends keyof T>(source: T, names: K[]): Pick<T, K> {
  const out = {} as Pick<T, K>
  for (const name of names) if (source[name] !== undefined) out[name] = source[name]
  return out
}

function parseMessage(raw: string): InvalidationMessage | undefined {
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return undefined
  }
  if (typeof value !== 'object' || value === null) return undefined
  const { tags, keys } = value as Record<string, unknown>
  const isState = (s: unknown): s is TagState =>
    typeof s === 'object' && s !== null && Number.isSafeInteger((s as TagState).version) && Number.isSafeInteger((s as TagState).hard)
  const isKey = (k: unknown): k is PageKey =>
    typeof k === 'object' && k !== null && typeof (k as PageKey).route === 'string' && (k as PageKey).route !== '' && typeof (k as PageKey).hash === 'string' && (k as PageKey).hash !== ''
  if (tags !== undefined && (typeof tags !== 'object' || tags === null || !Object.values(tags).every(isState))) return undefined
  if (keys !== undefined && (!Array.isArray(keys) || !keys.every(isKey))) return undefined
  if (tags === undefined && keys === undefined) return undefined
  return { ...(tags === undefined ? {} : { tags: tags as Record<string, TagState> }), ...(keys === undefined ? {} : { keys }) }
}
