import type { RedisClient, RedisInput } from '../redis-script.js'
import { CUTOVER_ERR_OPTIONS_INVALID, CUTOVER_ERR_OPTIONS_UNKNOWN } from '../errors.js'
import type { PageStore } from './store.js'
import { describeValue } from '../describe-value.js'
import { MAX_LIFETIME_SECONDS, MAX_TIMER_MS } from './limits.js'

/** The page cache's options of `app.register(cutover, options)` (route modes add theirs). */
export interface PageCacheOptions {
  /** ioredis client (standalone or Cluster) for the shared page store. Without it pages live in process memory. */
  redis?: RedisInput
  /** A store of your own (implements PageStore); takes precedence over `redis`. */
  store?: PageStore
  /** Prefix of every Redis key (`<prefix>:v1:...`). @default 'cutover' */
  prefix?: string
  /**
   * In-process page memory. Without `redis` it is the store (default 64 MiB);
   * with `redis` it is an optional layer in front (off unless given), dropped
   * in every process on invalidation. `maxTtl` caps how long a page stays in
   * the layer, seconds (@default 5).
   */
  memory?: { maxBytes?: number; maxTtl?: number } | false
  /** Longest any cache call may take before the route is served by its handler, ms. @default 100 */
  timeout?: number
  /** Breaker: consecutive cache failures that make cutover skip the cache for `cooldown` ms. @default { failures: 5, cooldown: 1000 } */
  breaker?: { failures?: number; cooldown?: number }
  /**
   * Cross-process render lease on a miss: `ttl` ms it is held at most, `wait`
   * ms a waiter waits for the stored page before rendering uncached, `poll` ms
   * between looks. @default { ttl: 10000, wait: 5000, poll: 20 }
   */
  lease?: { ttl?: number; wait?: number; poll?: number }
  /** Seconds a key whose render was not storable is passed straight to its handler. @default 10 */
  passTtl?: number
  /** XFetch beta: > 1 refreshes earlier, 0 turns early refresh off. @default 1 */
  xfetchBeta?: number
  /**
   * Names of the app's session cookies (`sessionId` for @fastify/session):
   * cookies no cached page depends on. A request carrying only these is not
   * personal to a route (its audience says who the page is for), and a
   * response whose only Set-Cookie fields set these is stored without them;
   * any other Set-Cookie keeps the response out of the cache. Names are
   * case-sensitive. @default [] (every cookie makes a request personal)
   */
  sessionCookies?: readonly string[]
}

export interface ResolvedOptions {
  readonly redis: RedisClient | undefined
  readonly store: PageStore | undefined
  readonly prefix: string
  readonly memory: { readonly maxBytes: number; readonly maxTtlMs: number } | undefined
  readonly timeoutMs: number
  readonly breaker: { readonly failures: number; readonly cooldownMs: number }
  readonly lease: { readonly ttlMs: number; readonly waitMs: number; readonly pollMs: number }
  readonly passTtlMs: number
  readonly xfetchBeta: number
  readonly sessionCookies: ReadonlySet<string>
}

export const DEFAULTS = Object.freeze({
  prefix: 'cutover',
  memoryMaxBytes: 64 * 1024 * 1024,
  memoryMaxTtl: 5,
  timeout: 100,
  breaker: { failures: 5, cooldown: 1000 },
  lease: { ttl: 10_000, wait: 5_000, poll: 20 },
  passTtl: 10,
  xfetchBeta: 1,
})

/** The plugin option names the page cache owns. */
export const PAGE_CACHE_OPTION_KEYS: readonly string[] = Object.freeze(['redis', 'store', 'prefix', 'memory', 'timeout', 'breaker', 'lease', 'passTtl', 'xfetchBeta', 'sessionCookies'])

/** A numeric option's unit and range. */
interface NumberRule {
  min: number
  max: number
  /** Says what the number is and why the upper bound (`'ms (the longest Node timer)'`). */
  unit: string
  integer?: boolean
}

/** Durations in ms become timers: a longer one than Node's largest fires after 1 ms. */
const MS: Omit<NumberRule, 'min'> = { max: MAX_TIMER_MS, unit: 'ms (the longest Node timer)' }
/** Lifetimes in seconds end up in every entry's deleteAt; see MAX_LIFETIME_SECONDS. */
const SECONDS: Omit<NumberRule, 'min'> = { max: MAX_LIFETIME_SECONDS, unit: 'seconds (2^31, RFC 9111 §1.2.2)' }
const COUNT: Omit<NumberRule, 'min'> = { max: Number.MAX_SAFE_INTEGER, unit: '', integer: true }

function number(name: string, value: unknown, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback
  const { min, max, unit, integer = false } = rule
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`
    throw new CUTOVER_ERR_OPTIONS_INVALID(`${name} to be a${integer ? 'n integer' : ' number'} ${range}${unit ? ` ${unit}` : ''}`, describeValue(value))
  }
  return value
}

function object(name: string, value: unknown, known: string[]): Record<string, unknown> {
  if (value === undefined) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new CUTOVER_ERR_OPTIONS_INVALID(`${name} to be an object`, describeValue(value))
  }
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) throw new CUTOVER_ERR_OPTIONS_UNKNOWN(`${name}.${key}`, known.join(', '))
  }
  return value as Record<string, unknown>
}

function isStore(value: unknown): value is PageStore {
  const s = value as Partial<PageStore> | null
  return typeof s === 'object' && s !== null && typeof s.get === 'function' && typeof s.set === 'function' && typeof s.purgeTags === 'function'
}

function isRedis(value: unknown): value is RedisClient {
  const r = value as { sendCommand?: unknown; get?: unknown } | null
  return typeof r === 'object' && r !== null && typeof r.sendCommand === 'function' && typeof r.get === 'function'
}

function resolveMemory(raw: unknown, shared: boolean): ResolvedOptions['memory'] {
  if (raw === false) {
    if (!shared) throw new CUTOVER_ERR_OPTIONS_INVALID('memory to be an object when neither redis nor store is given', 'false')
    return undefined
  }
  if (raw === undefined && shared) return undefined
  const m = object('memory', raw, ['maxBytes', 'maxTtl'])
  return Object.freeze({
    maxBytes: number('memory.maxBytes', m.maxBytes, DEFAULTS.memoryMaxBytes, { ...COUNT, min: 1024 }),
    maxTtlMs: number('memory.maxTtl', m.maxTtl, DEFAULTS.memoryMaxTtl, { ...SECONDS, min: 0 }) * 1000,
  })
}

/** A cookie-name token (RFC 6265 §4.1.1, RFC 9110 §5.6.2). */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

function resolveSessionCookies(raw: unknown): ReadonlySet<string> {
  if (raw === undefined) return new Set()
  if (!Array.isArray(raw) || !raw.every((n) => typeof n === 'string' && COOKIE_NAME.test(n))) {
    throw new CUTOVER_ERR_OPTIONS_INVALID('sessionCookies to be an array of cookie names (RFC 6265 tokens, such as "sessionId")', describeValue(raw))
  }
  return new Set(raw as string[])
}

/**
 * Validates the plugin options once, applies defaults, freezes the result.
 * `otherKeys` are option names other parts of the plugin own and validate.
 */
export function resolveOptions(raw: unknown, otherKeys: readonly string[] = []): ResolvedOptions {
  const known = [...PAGE_CACHE_OPTION_KEYS, ...otherKeys]
  const o = object('options', raw ?? {}, known)
  if (o.redis !== undefined && !isRedis(o.redis)) throw new CUTOVER_ERR_OPTIONS_INVALID('redis to be an ioredis client (Redis or Cluster)', describeValue(o.redis))
  if (o.store !== undefined && !isStore(o.store)) throw new CUTOVER_ERR_OPTIONS_INVALID('store to implement PageStore', describeValue(o.store))
  const prefix = o.prefix ?? DEFAULTS.prefix
  if (typeof prefix !== 'string' || !/^[\w.\-:]{1,64}$/.test(prefix)) {
    throw new CUTOVER_ERR_OPTIONS_INVALID('prefix to be 1-64 characters of letters, digits, . _ - :', describeValue(prefix))
  }
  const breaker = object('breaker', o.breaker, ['failures', 'cooldown'])
  const lease = object('lease', o.lease, ['ttl', 'wait', 'poll'])
  return Object.freeze({
    redis: o.redis as ResolvedOptions['redis'],
    store: o.store as ResolvedOptions['store'],
    prefix,
    memory: resolveMemory(o.memory, o.redis !== undefined || o.store !== undefined),
    timeoutMs: number('timeout', o.timeout, DEFAULTS.timeout, { ...MS, min: 1 }),
    breaker: Object.freeze({
      failures: number('breaker.failures', breaker.failures, DEFAULTS.breaker.failures, { ...COUNT, min: 1 }),
      cooldownMs: number('breaker.cooldown', breaker.cooldown, DEFAULTS.breaker.cooldown, { ...MS, min: 0 }),
    }),
    lease: Object.freeze({
      ttlMs: number('lease.ttl', lease.ttl, DEFAULTS.lease.ttl, { ...MS, min: 1 }),
      waitMs: number('lease.wait', lease.wait, DEFAULTS.lease.wait, { ...MS, min: 0 }),
      pollMs: number('lease.poll', lease.poll, DEFAULTS.lease.poll, { ...MS, min: 1 }),
    }),
    passTtlMs: number('passTtl', o.passTtl, DEFAULTS.passTtl, { ...SECONDS, min: 0 }) * 1000,
    xfetchBeta: number('xfetchBeta', o.xfetchBeta, DEFAULTS.xfetchBeta, { min: 0, max: Number.MAX_SAFE_INTEGER, unit: '' }),
    sessionCookies: resolveSessionCookies(o.sessionCookies),
  })
}
