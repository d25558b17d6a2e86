import { describeValue } from '../describe-value.js'
import { CUTOVER_ERR_STORE_ARGUMENT_INVALID } from '../errors.js'
import { MAX_HEADER_FIELDS, MAX_LIFETIME_SECONDS, MAX_PAGE_TAGS, MAX_TIMER_MS } from './limits.js'
import { NOT_STORED } from './respond.js'

/**
 * What a stored entry must look like to be served: one cutover could have
 * written, and one Fastify and Node can replay. An entry that breaks any rule
 * is treated like a corrupt one (deleted, a miss): served, it would turn every
 * hit into a 500 until it expired (a status Fastify refuses, a header Node
 * refuses to write), or carry what cutover never stores (Set-Cookie, a
 * Content-Length or Transfer-Encoding that disagrees with the body), or live
 * far longer than any route allows. The store path refuses to store a render
 * that breaks them, so no entry cutover writes is ever refused here.
 */

/** RFC 9110 §5.1: a field name is a token (§5.6.2); Fastify keeps names in lower case. */
const FIELD_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/
/**
 * RFC 9110 §5.5: field values are visible ASCII, obs-text (0x80-0xFF), space
 * and tab; exactly what Node lets through (anything else, CR, LF and NUL
 * included, throws ERR_INVALID_CHAR when the response is written).
 */
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const MAX_LIFETIME_MS = MAX_LIFETIME_SECONDS * 1000

type Fields = Record<string, unknown>

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value)
const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value)

/** Why an entry can't be served, or undefined when it can. Never throws, whatever it is given. */
export function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'not an object'
  if (entry.kind === 'pass') return typeof entry.reason === 'string' ? timesProblem(entry, false) : 'field reason is not a string'
  if (entry.kind !== 'page') return `unknown entry kind ${describeValue(entry.kind)}`
  const { status, etag, body, tags, renderMs } = entry
  // Route statuses are 200-599; Fastify refuses a code outside 100-599 when it is replayed.
  if (!Number.isInteger(status) || (status as number) < 200 || (status as number) > 599) return `status ${describeValue(status)} is not one cutover stores (200-599)`
  if (!Buffer.isBuffer(body)) return 'field body is not bytes'
  if (entry.brotli !== undefined && !Buffer.isBuffer(entry.brotli)) return 'field brotli is not bytes'
  if (typeof etag !== 'string' || etag === '' || !FIELD_VALUE.test(etag)) return 'field etag is not a header value'
  if (!isNumber(renderMs) || renderMs < 0 || renderMs > MAX_TIMER_MS) return `field renderMs ${describeValue(renderMs)} is not a render time`
  return headersProblem(entry.headers) ?? tagsProblem(tags) ?? timesProblem(entry, true) ?? originProblem(entry.origin)
}

/** Why a page's origin facts can't be used, or undefined (absent is fine). */
function originProblem(origin: unknown): string | undefined {
  if (origin === undefined) return undefined
  if (!isRecord(origin)) return 'field origin is not an object'
  const { date, etag, mustRevalidate, swrMs, sieMs, vary } = origin
  if (date !== undefined && (typeof date !== 'string' || !FIELD_VALUE.test(date))) return 'field origin.date is not a header value'
  if (typeof etag !== 'boolean' || typeof mustRevalidate !== 'boolean') return 'field origin.etag or origin.mustRevalidate is not a boolean'
  for (const ms of [swrMs, sieMs]) {
    if (!isNumber(ms) || ms < 0 || ms > MAX_LIFETIME_MS) return 'field origin.swrMs or origin.sieMs is not a lifetime'
  }
  if (vary === undefined) return undefined
  if (!isRecord(vary)) return 'field origin.vary is not an object'
  for (const [name, value] of Object.entries(vary)) {
    if (!FIELD_NAME.test(name) || typeof value !== 'string') return `field origin.vary has a bad member ${describeValue(name)}`
  }
  return undefined
}

/** Why the headers can't be replayed as they are, or undefined. */
export function headersProblem(headers: unknown): string | undefined {
  if (!isRecord(headers)) return 'field headers is not an object'
  let fields = 0
  for (const [name, value] of Object.entries(headers)) {
    // `__proto__` is a token, but as a key of the object Fastify keeps headers in it would replace its prototype.
    if (!FIELD_NAME.test(name) || name === '__proto__') return `header name ${describeValue(name)} is not a lower-case token (RFC 9110 §5.1)`
    if (NOT_STORED.has(name)) return `header ${name} is one cutover never stores`
    const values: unknown[] = Array.isArray(value) ? value : [value]
    for (const v of values) {
      if (typeof v !== 'string') return `header ${name} has a value that is not a string`
      if (!FIELD_VALUE.test(v)) return `header ${name} has a value Node refuses to send (CR, LF, NUL, or a character outside Latin-1)`
    }
    fields += values.length
    if (fields > MAX_HEADER_FIELDS) return `more than ${MAX_HEADER_FIELDS} header fields`
  }
  return undefined
}

function tagsProblem(tags: unknown): string | undefined {
  if (!isRecord(tags)) return 'field tags is not an object'
  const entries = Object.entries(tags)
  if (entries.length > MAX_PAGE_TAGS) return `more than ${MAX_PAGE_TAGS} tags`
  for (const [tag, version] of entries) {
    if (tag === '') return 'an empty tag name'
    if (!Number.isSafeInteger(version) || (version as number) < 0) return `tag ${describeValue(tag)} has version ${describeValue(version)}, not a whole number`
  }
  return undefined
}

/** Times are epoch ms; no lifetime cutover stores ends more than 2^31 s (ttl), twice that (ttl + stale), after storedAt. */
function timesProblem(entry: Fields, page: boolean): string | undefined {
  const { storedAt, staleAt, deleteAt } = entry
  if (!isNumber(storedAt) || storedAt < 0) return 'field storedAt is not a time'
  if (!isNumber(deleteAt)) return 'field deleteAt is not a time'
  if (deleteAt - storedAt > (page ? 2 : 1) * MAX_LIFETIME_MS) return 'deleteAt is further from storedAt than any lifetime cutover stores'
  if (!page) return undefined
  if (!isNumber(staleAt)) return 'field staleAt is not a time'
  if (staleAt - storedAt > MAX_LIFETIME_MS) return 'staleAt is further from storedAt than any ttl cutover stores'
  return undefined
}

/** For a store's set(): throws CUTOVER_ERR_STORE_ARGUMENT_INVALID for an entry its get() could not hand back to be served. */
export function checkEntryArgument(entry: unknown): void {
  const problem = entryProblem(entry)
  if (problem !== undefined) throw new CUTOVER_ERR_STORE_ARGUMENT_INVALID('entry', 'one cutover can serve', problem)
}
