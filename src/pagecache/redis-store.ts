import { randomBytes } from 'node:crypto'
import { CUTOVER_ERR_CACHE_CORRUPT_ENTRY, CUTOVER_ERR_STORE_ARGUMENT_INVALID, CUTOVER_ERR_STORE_ENTRY_TOO_LARGE, CUTOVER_ERR_STORE_OPTIONS_INVALID } from '../errors.js'
import { pageCacheKeys, TAG_HARD_FIELD, TAG_VERSION_FIELD, type PageCacheKeys } from './keys.js'
import { acquireLeaseLua } from './lua/acquire-lease.js'
import { getOrLeaseLua } from './lua/get-or-lease.js'
import { getWithTagsLua } from './lua/get-with-tags.js'
import { purgeTagsLua } from './lua/purge-tags.js'
import { releaseLeaseLua } from './lua/release-lease.js'
import { DecodedEntries } from './decoded-entries.js'
import { checkEntryArgument } from './entry-shape.js'
import { MAX_REDIS_BODY_BYTES, readBudgetBytes } from './limits.js'
import { decodeEntry, encodeEntry } from './page-codec.js'
import { coversTags } from './policy.js'
import { asRedisClient, RedisScript, ScriptBatch, type RedisClient, type RedisInput } from '../redis-script.js'
import type { LookupOrLease, PageKey, PageStore, StoredEntry, TagState } from './store.js'
import { describeValue } from '../describe-value.js'

export interface RedisPageStoreOptions {
  /** The ioredis client (5 or 6, standalone or Cluster). The store never closes it. */
  redis: RedisInput
  /**
   * First part of every key name (`<prefix>:v1:...`); must not hold `{` or `}`.
   * @default 'cutover'
   */
  prefix?: string
  /**
   * Bodies longer than this many bytes are stored brotli-compressed (when that
   * makes them smaller). 0 compresses every non-empty body.
   * @default 8192
   */
  compressAbove?: number
  /**
   * Largest page body stored, bytes: set() refuses a larger one
   * (CUTOVER_ERR_STORE_ENTRY_TOO_LARGE), and get() reads an entry announcing a
   * larger one as corrupt without decompressing it. The default is what a read
   * carries within the plugin's default 100 ms `timeout` (0.1 MiB per ms of
   * timeout, see limits.ts); the plugin sets it from its own `timeout` for the
   * store it builds. At most 511 MiB (Redis strings hold 512 MB).
   * @default 10485760
   */
  maxBodyBytes?: number
}

export const REDIS_STORE_DEFAULTS = Object.freeze({ prefix: 'cutover', compressAbove: 8192, maxBodyBytes: readBudgetBytes(100) })

const KNOWN_OPTIONS = ['redis', 'prefix', 'compressAbove', 'maxBodyBytes']
const acquireLeaseScript = new RedisScript(acquireLeaseLua)
const getOrLeaseScript = new RedisScript(getOrLeaseLua)
const getWithTagsScript = new RedisScript(getWithTagsLua)
/** Past this many tags, a page's tag states are not read in the lookup's script (Lua's unpack has a stack limit). */
const MAX_TAGS_IN_LOOKUP = 1000
const purgeTagsScript = new RedisScript(purgeTagsLua)
const releaseLeaseScript = new RedisScript(releaseLeaseLua)

/** A Redis-backed store's maxBodyBytes option, checked; throws CUTOVER_ERR_STORE_OPTIONS_INVALID. */
export function checkMaxBodyBytes(owner: string, value: unknown): number {
  if (value === undefined) return REDIS_STORE_DEFAULTS.maxBodyBytes
  if (!Number.isSafeInteger(value) || (value as number) <= 0 || (value as number) > MAX_REDIS_BODY_BYTES) {
    throw new CUTOVER_ERR_STORE_OPTIONS_INVALID(owner, `maxBodyBytes to be a whole number of bytes from 1 to ${MAX_REDIS_BODY_BYTES}`, describeValue(value))
  }
  return value as number
}

/** Checks the options every Redis-backed store takes; throws CUTOVER_ERR_STORE_OPTIONS_INVALID. */
export function checkStoreOptions(owner: string, options: object, known: string[]): void {
  if (typeof options !== 'object' || options === null) {
    throw new CUTOVER_ERR_STORE_OPTIONS_INVALID(owner, 'object', String(options))
  }
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new CUTOVER_ERR_STORE_OPTIONS_INVALID(owner, `"${name}" to be one of ${known.join(', ')}`, 'an unknown option')
    }
  }
  const { redis } = options as { redis?: unknown }
  if (typeof redis !== 'object' || redis === null || typeof (redis as { getBuffer?: unknown }).getBuffer !== 'function') {
    throw new CUTOVER_ERR_STORE_OPTIONS_INVALID(owner, 'redis to be an ioredis client (Redis or Cluster)', typeof redis)
  }
}

/** What travels on the invalidation channel (`<prefix>:v1:invalidate`) as JSON. */
export interface InvalidationMessage {
  /** New states of purged tags. */
  tags?: Record<string, TagState>
  /** Deleted keys. */
  keys?: PageKey[]
}

/**
 * Page store on Redis through ioredis, standalone or Cluster. Entries are
 * binary envelopes (see page-codec.ts) that expire at their `deleteAt`; the keys
 * of one route share a Cluster hash tag; tag states live in one hash, moved by
 * a Lua script; leases are `SET NX PX` (in a script that also takes over a
 * lease key without an expiry) with a random token. Purges and deletes
 * are announced on the invalidation channel, so memory layers in every process
 * (TieredPageStore) hear of them whichever store made them.
 */
export class RedisPageStore implements PageStore {
  readonly name = 'redis'
  readonly keys: PageCacheKeys
  readonly compressAbove: number
  readonly maxBodyBytes: number
  readonly #redis: RedisClient
  /** Hot pages decoded once while their stored bytes stay the same (4 MiB of raw values and bodies). */
  readonly #decoded = new DecodedEntries(4 * 1024 * 1024)
  readonly #fields = new WeakMap<string[], string[]>()
  /** A Cluster client: keys of different slots can't meet in one script. */
  readonly #cluster: boolean
  /** The lookups' scripts, the calls of one event-loop turn sent together. */
  readonly #scripts: ScriptBatch

  constructor(options: RedisPageStoreOptions) {
    checkStoreOptions('RedisPageStore', options, KNOWN_OPTIONS)
    const compressAbove = options.compressAbove ?? REDIS_STORE_DEFAULTS.compressAbove
    if (!Number.isSafeInteger(compressAbove) || compressAbove < 0) {
      throw new CUTOVER_ERR_STORE_OPTIONS_INVALID('RedisPageStore', 'compressAbove to be a whole number of bytes >= 0', describeValue(compressAbove))
    }
    this.#redis = asRedisClient(options.redis)
    this.#cluster = (this.#redis as { isCluster?: unknown }).isCluster === true
    this.#scripts = new ScriptBatch(this.#redis)
    this.keys = pageCacheKeys(options.prefix ?? REDIS_STORE_DEFAULTS.prefix)
    this.compressAbove = compressAbove
    this.maxBodyBytes = checkMaxBodyBytes('RedisPageStore', options.maxBodyBytes)
  }

  async get(key: PageKey): Promise<StoredEntry | undefined> {
    const name = this.keys.page(key)
    const raw = await this.#redis.getBuffer(name)
    return raw === null ? undefined : this.#decode(name, raw)
  }

  async getOrLease(key: PageKey, ttlMs: number, token: string): Promise<LookupOrLease> {
    checkLease(ttlMs, token)
    const name = this.keys.page(key)
    const lease = this.keys.lease(key)
    // A page read before is likely to be there again: its tags' states are read with it, so a
    // hit needs one round trip instead of two.
    const guess = this.#decoded.tagsOf(name)
    if (guess === undefined || guess.length === 0 || guess.length > MAX_TAGS_IN_LOOKUP) return this.#lookupOrLease(name, lease, ttlMs, token)
    if (this.#cluster) {
      // The tag hash has a Cluster slot of its own: asked right behind the lookup, on its own connection.
      const states = this.tagStates(guess)
      states.catch(() => {}) // not needed (a miss, or another page now) or failed: the hit path asks again
      const found = await this.#lookupOrLease(name, lease, ttlMs, token)
      return found.entry?.kind === 'page' ? withStates(found, await states.catch(() => undefined)) : found
    }
    // One script: the entry, then its tags' fields; a single command written and answered.
    const reply = await this.#scripts.runBuffer(getWithTagsScript, [name, lease, this.keys.tags], [token, ttlMs, ...this.#fieldsOf(guess)])
    if (!Array.isArray(reply)) return leaseAnswer(reply, token)
    const entry = await this.#decode(name, reply[0] as Buffer)
    if (entry?.kind !== 'page') return { entry, lease: null, held: false }
    let states: Record<string, TagState>
    try {
      states = statesOf(guess, reply, 1)
    } catch {
      return { entry, lease: null, held: false } // a corrupt counter: tagStates() says so, through the guard
    }
    // Still the page the guess came from (its held record, so its tags array, unchanged): the
    // states cover its tags by construction. Another page's tags are checked.
    if (this.#decoded.tagsOf(name) !== guess && !coversTags(states, entry.tags)) return { entry, lease: null, held: false }
    return { entry, lease: null, held: false, tagStates: states }
  }

  /** The lookup script alone: the entry, or the lease. */
  async #lookupOrLease(name: string, lease: string, ttlMs: number, token: string): Promise<LookupOrLease> {
    const reply = await this.#scripts.runBuffer(getOrLeaseScript, [name, lease], [token, ttlMs])
    return Buffer.isBuffer(reply) ? { entry: await this.#decode(name, reply), lease: null, held: false } : leaseAnswer(reply, token)
  }

  /** The tag-state fields of a held page's tags (one array per tags array, as tagsOf gives one per held page). */
  #fieldsOf(tags: string[]): string[] {
    let fields = this.#fields.get(tags)
    if (fields === undefined) {
      fields = tags.flatMap((tag) => [TAG_VERSION_FIELD + tag, TAG_HARD_FIELD + tag])
      this.#fields.set(tags, fields)
    }
    return fields
  }

  async #decode(name: string, raw: Buffer): Promise<StoredEntry | undefined> {
    let entry = this.#decoded.get(name, raw)
    if (entry === undefined) {
      entry = await decodeEntry(raw, name, { maxBodyBytes: this.maxBodyBytes })
      this.#decoded.set(name, raw, entry)
    }
    // Redis expires the key itself; this covers clock skew between hosts and a
    // test clock running ahead.
    return entry.deleteAt <= Date.now() ? undefined : entry
  }

  async set(key: PageKey, entry: StoredEntry): Promise<void> {
    const name = this.keys.page(key)
    // PXAT takes a whole number of ms; past 2^53 it would be sent as "1e+16" and refused.
    if (typeof entry !== 'object' || entry === null || typeof entry.deleteAt !== 'number' || !Number.isSafeInteger(Math.ceil(entry.deleteAt))) {
      throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('entry deleteAt', 'a finite epoch ms', describeValue(entry?.deleteAt))
    }
    const deleteAt = Math.ceil(entry.deleteAt)
    if (deleteAt <= Date.now()) {
      // Already past its end: replacing means no entry at all.
      await this.#redis.del(name)
      return
    }
    checkEntryArgument(entry)
    if (entry.kind === 'page' && entry.body.length > this.maxBodyBytes) {
      throw new CUTOVER_ERR_STORE_ENTRY_TOO_LARGE('RedisPageStore', entry.body.length, this.maxBodyBytes)
    }
    const value = await encodeEntry(entry, { compressAbove: this.compressAbove })
    await this.#redis.set(name, value, 'PXAT', deleteAt)
  }

  async delete(keys: PageKey[]): Promise<number> {
    checkList('keys', keys)
    // DEL of several keys must stay within one slot on Cluster: one call per route.
    const byRoute = new Map<string, string[]>()
    for (const key of keys) {
      const name = this.keys.page(key)
      const group = byRoute.get(key.route)
      if (group) group.push(name)
      else byRoute.set(key.route, [name])
    }
    const counts = await Promise.all([...byRoute.values()].map((names) => this.#redis.del(...names)))
    if (keys.length > 0) {
      const message: InvalidationMessage = { keys: keys.map(({ route, hash }) => ({ route, hash })) }
      await this.#redis.publish(this.keys.invalidateChannel, JSON.stringify(message))
    }
    return counts.reduce((sum, n) => sum + n, 0)
  }

  async tagStates(tags: string[]): Promise<Record<string, TagState>> {
    const unique = distinctTags(tags)
    if (unique.length === 0) return {}
    const fields = unique.flatMap((tag) => [TAG_VERSION_FIELD + tag, TAG_HARD_FIELD + tag])
    return statesOf(unique, await this.#redis.hmget(this.keys.tags, ...fields), 0)
  }

  async purgeTags(tags: string[], hard: boolean): Promise<Record<string, TagState>> {
    const unique = distinctTags(tags)
    if (typeof hard !== 'boolean') throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('purge hard flag', 'a boolean', describeValue(hard))
    const states: Record<string, TagState> = {}
    if (unique.length === 0) return states
    const reply = await purgeTagsScript.run(this.#redis, [this.keys.tags], [hard ? '1' : '0', this.keys.invalidateChannel, ...unique])
    if (Array.isArray(reply) && reply[0] === 'corrupt') {
      // Nothing moved. The counter must be repaired by hand (HSET or HDEL of the field): see docs/reference/errors.md, CUTOVER_ERR_CACHE_CORRUPT_ENTRY.
      throw new CUTOVER_ERR_CACHE_CORRUPT_ENTRY(this.keys.tags, `tag state of ${describeValue(reply[1])} is not an integer (${describeValue(reply[2])}); no tag was purged`)
    }
    if (!Array.isArray(reply) || reply.length !== unique.length * 2) {
      throw new CUTOVER_ERR_CACHE_CORRUPT_ENTRY(this.keys.tags, 'purge script returned an unexpected reply')
    }
    unique.forEach((tag, i) => {
      states[tag] = { version: Number(reply[2 * i]), hard: Number(reply[2 * i + 1]) }
    })
    return states
  }

  async acquireLease(key: PageKey, ttlMs: number, token: string = randomBytes(16).toString('base64url')): Promise<string | null> {
    const name = this.keys.lease(key)
    checkLease(ttlMs, token)
    const taken = await acquireLeaseScript.run(this.#redis, [name], [token, ttlMs])
    return taken === 1 ? token : null
  }

  async releaseLease(key: PageKey, token: string): Promise<void> {
    const name = this.keys.lease(key)
    checkToken(token)
    await releaseLeaseScript.run(this.#redis, [name], [token])
  }

  /** Nothing to close: the client belongs to the caller. */
  async close(): Promise<void> {}
}

function checkLease(ttlMs: number, token: unknown): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('lease ttlMs', 'a whole number of ms > 0', describeValue(ttlMs))
  }
  checkToken(token)
}

function checkToken(token: unknown): void {
  if (typeof token !== 'string' || token.length === 0) {
    throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('lease token', 'a non-empty string', describeValue(token))
  }
}

function checkList(what: string, value: unknown): void {
  if (!Array.isArray(value)) throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID(what, 'an array', typeof value)
}

/** The tags without repeats; a repeated tag must move only once per purge. */
export function distinctTags(tags: string[]): string[] {
  checkList('tags', tags)
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0) {
      throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('tag', 'a non-empty string', describeValue(tag))
    }
  }
  return [...new Set(tags)]
}

/** A counter as the purge script accepts it (see lua/purge-tags.ts): plain digits, 0 to 2^53 - 2. */
const WHOLE = /^(0|[1-9]\d{0,15})$/

/** The states of `tags` from HMGET's answer to their version and hard fields, from `values[from]` on. */
function statesOf(tags: readonly string[], values: ReadonlyArray<unknown>, from: number): Record<string, TagState> {
  const states: Record<string, TagState> = {}
  tags.forEach((tag, i) => {
    states[tag] = {
      version: tagCounter(tag, values[from + 2 * i] ?? null),
      hard: tagCounter(tag, values[from + 2 * i + 1] ?? null),
    }
  })
  return states
}

/** A lookup's answer with the tag states read with it, when they cover every tag of its page. */
function withStates(found: LookupOrLease, states: Record<string, TagState> | undefined): LookupOrLease {
  return states !== undefined && found.entry?.kind === 'page' && coversTags(states, found.entry.tags) ? { ...found, tagStates: states } : found
}

/** The lookup script's answer when there was no entry: 1, the lease taken; 0, held by another. */
function leaseAnswer(reply: unknown, token: string): LookupOrLease {
  return reply === 1 ? { entry: undefined, lease: token, held: false } : { entry: undefined, lease: null, held: true }
}

function tagCounter(tag: string, raw: unknown): number {
  if (raw === null) return 0
  const value = Buffer.isBuffer(raw) ? raw.toString('latin1') : String(raw)
  const n = Number(value)
  if (!WHOLE.test(value) || n >= Number.MAX_SAFE_INTEGER) {
    throw new CUTOVER_ERR_CACHE_CORRUPT_ENTRY(`tag state "${tag}"`, `counter ${describeValue(value)} is not a whole number`)
  }
  return n
}
