import { CUTOVER_ERR_STORE_ARGUMENT_INVALID } from '../errors.js'
import type { PageKey } from './store.js'
import { describeValue } from '../describe-value.js'

/**
 * Every Redis key and channel name of the page cache, from one place.
 *
 * Layout (all under `<prefix>:v1:` so two releases can share one Redis):
 * - `<prefix>:v1:{<route>}:page:<hash>`  one stored entry (page or pass marker)
 * - `<prefix>:v1:{<route>}:lease:<hash>` the render lease of that entry
 * - `<prefix>:v1:tags`                   one hash of every tag's state
 * - `<prefix>:v1:invalidate`             pub/sub channel of invalidations
 *
 * The route id is the Redis Cluster hash tag, so all keys of one route live in
 * one slot. It is escaped first: a `{`, `}` or `:` in a route id could otherwise
 * end the hash tag early or forge another key's name.
 */

/** Version of the Redis key layout below (the `v1` in every name); bump it when names change. */
export const LAYOUT_VERSION = 'v1'

/** Field names inside the tags hash: `v:<tag>` holds the version, `h:<tag>` the last hard-purge version. */
export const TAG_VERSION_FIELD = 'v:'
export const TAG_HARD_FIELD = 'h:'

// Bytes kept as they are in an escaped key part; everything else (including
// `%` itself, so the escaping is reversible and two ids never share a name)
// becomes %XX of its UTF-8 bytes.
const PLAIN = /^[A-Za-z0-9._~-]$/
const ALL_PLAIN = /^[A-Za-z0-9._~-]*$/

/** Escapes one key part so it holds no `{`, `}`, `:`, `%`, whitespace or control bytes. */
export function escapeKeyPart(part: string): string {
  // Route ids and hex hashes are almost always plain: this runs on every cache read.
  if (ALL_PLAIN.test(part)) return part
  let out = ''
  for (const ch of part) {
    if (PLAIN.test(ch)) {
      out += ch
      continue
    }
    for (const byte of Buffer.from(ch, 'utf8')) out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

function checkedPart(what: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID(what, 'a non-empty string', describeValue(value))
  }
  return escapeKeyPart(value)
}

export interface PageCacheKeys {
  /** Key of a stored entry. */
  page(key: PageKey): string
  /** Key of the render lease of an entry. */
  lease(key: PageKey): string
  /** The single hash holding every tag's state (one key, so purges stay atomic on Cluster). */
  readonly tags: string
  /** Pub/sub channel announcing invalidations to every process. */
  readonly invalidateChannel: string
}

/** Key names for one prefix. Throws CUTOVER_ERR_STORE_ARGUMENT_INVALID for an empty prefix or one holding a brace. */
export function pageCacheKeys(prefix: string): PageCacheKeys {
  // A brace in the prefix would become the Cluster hash tag of every key.
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('prefix', 'a non-empty string without "{" or "}"', describeValue(prefix))
  }
  const base = `${prefix}:${LAYOUT_VERSION}`
  const routeKey = (kind: string, key: PageKey): string => {
    if (typeof key !== 'object' || key === null) {
      throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('page key', 'an object { route, hash }', String(key))
    }
    return `${base}:{${checkedPart('page key route', key.route)}}:${kind}:${checkedPart('page key hash', key.hash)}`
  }
  return Object.freeze({
    page: (key: PageKey) => routeKey('page', key),
    lease: (key: PageKey) => routeKey('lease', key),
    tags: `${base}:tags`,
    invalidateChannel: `${base}:invalidate`,
  })
}
