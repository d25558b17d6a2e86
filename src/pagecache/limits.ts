/**
 * Upper bounds shared by option validation, the store path and the stores, so
 * every value cutover accepts is one each store can keep and each timer can
 * wait for.
 */

/**
 * Longest lifetime (`ttl`, `stale`, `passTtl`, a memory layer's `maxTtl`, an
 * origin's `max-age`/`s-maxage`), seconds: 2^31, the value RFC 9111 §1.2.2
 * tells a cache to use for any larger delta-seconds. At this bound an entry's
 * `deleteAt` (now + ttl + stale, ms) stays far inside both the range of exact
 * integers in JavaScript and what Redis takes for `SET ... PXAT`; beyond
 * about 9e12 seconds neither holds (`1e16` made Redis answer "value is not an
 * integer" while the memory store kept the page for ever).
 */
export const MAX_LIFETIME_SECONDS = 2 ** 31

/** Longest duration in ms (`timeout`, `lease.*`, `breaker.cooldown`): Node's largest timer; a longer one fires after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Bytes of body a Redis read may carry per ms of the cache `timeout`. Reading
 * a page back (the GET and the envelope's decoding, brotli included) took
 * 1.5 to 5.3 ms per MiB on a shared 2-core machine over two runs of
 * test/bench/entry-size.ts (load average 1 and 6.7), from 1 to 50 MiB of
 * compressible JSON and of incompressible bytes; a 50 MiB page took 94-193 ms,
 * past the default 100 ms timeout on every read. Counting 5 ms per MiB and
 * giving the read half of the timeout (the other half is for a loaded event
 * loop and the network): 0.1 MiB per ms, 10 MiB at the default 100 ms.
 */
export const READ_BYTES_PER_TIMEOUT_MS = 1024 * 1024 / 10

/** The largest body a Redis store should hold when every read must finish within `timeoutMs`. */
export function readBudgetBytes(timeoutMs: number): number {
  return Math.floor(timeoutMs * READ_BYTES_PER_TIMEOUT_MS)
}

/**
 * Most header field lines a stored page may replay (each value of a list
 * counts). Node's own HTTP parser reads at most 2000 by default
 * (`maxHeadersCount`), so a page past half of that is not one a client reads
 * whole; pages carry tens.
 */
export const MAX_HEADER_FIELDS = 1000

/**
 * Most tags one page may be built under (the route tag included). Every hit
 * reads the state of each of its tags from Redis (two hash fields per tag), so
 * the count is paid on every hit: a tags function returning one tag per row of
 * a 1,000-row page still fits.
 */
export const MAX_PAGE_TAGS = 1024

/** Largest body a Redis store may be set to hold: Redis keeps strings up to 512 MB (`proto-max-bulk-len`), less 1 MiB for the envelope's header. */
export const MAX_REDIS_BODY_BYTES = 511 * 1024 * 1024

/**
 * The bound on route `maxBytes` for a store: its own `maxBodyBytes`, and for a
 * store behind the cache timeout (anything but the in-process memory store)
 * what a read carries within that timeout.
 */
export function bodyLimitFor(store: object, options: { remote: boolean; timeoutMs: number }): { maxBodyBytes?: number; maxBodyBytesSource?: string } {
  // cutover's Redis-backed stores say how large a body they keep; a store of the app's own may too.
  const stated = (store as { maxBodyBytes?: unknown }).maxBodyBytes
  const own = typeof stated === 'number' ? stated : Infinity
  const budget = options.remote ? readBudgetBytes(options.timeoutMs) : Infinity
  if (own === Infinity && budget === Infinity) return {}
  if (own <= budget) return { maxBodyBytes: own, maxBodyBytesSource: "the page store's maxBodyBytes" }
  return { maxBodyBytes: budget, maxBodyBytesSource: `what a cache read carries within timeout ${options.timeoutMs} ms, 0.1 MiB per ms` }
}
