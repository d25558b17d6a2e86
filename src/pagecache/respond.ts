import { createHash } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { CACHE_STATUS_HEADER, PATH_HEADER } from '../headers.js'
import { acceptsBrotli, representationsOf } from './encoding.js'
import { markPersonal } from './personal.js'
import type { StoredPage } from './store.js'

/** The RFC 9211 cache name cutover uses in `Cache-Status`. */
export const CACHE_NAME = 'cutover'

// Never replayed from a stored page: hop-by-hop (RFC 9110 §7.6.1), per-response
// (date, age, length) and what cutover sets itself.
export const NOT_STORED: ReadonlySet<string> = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'content-length', 'date', 'age', 'etag', 'set-cookie', CACHE_STATUS_HEADER, PATH_HEADER,
])

export function storableHeaders(headers: Record<string, unknown>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_STORED.has(name)) continue
    out[name] = Array.isArray(value) ? value.map(String) : String(value)
  }
  return out
}

/** A strong validator from the body bytes (RFC 9110 §8.8.3). */
export function strongEtag(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`
}

/** If-None-Match uses the weak comparison (RFC 9110 §13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  if (ifNoneMatch.trim() === '*') return true
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '')
  const ours = opaque(etag)
  return ifNoneMatch.split(',').some((tag) => opaque(tag) === ours)
}

/**
 * If-Modified-Since (RFC 9110 §13.1.3): the page was not modified after the
 * date, by its Last-Modified or, lacking one, the origin's Date (the time the
 * response was generated, a cache may use it so).
 */
export function notModifiedSince(page: Pick<StoredPage, 'headers' | 'origin'>, ifModifiedSince: string | string[] | undefined): boolean {
  if (typeof ifModifiedSince !== 'string') return false
  const since = Date.parse(ifModifiedSince)
  const lastModified = page.headers['last-modified']
  const modified = Date.parse(typeof lastModified === 'string' ? lastModified : (page.origin?.date ?? ''))
  return !Number.isNaN(since) && !Number.isNaN(modified) && modified <= since
}

export type CacheOutcome =
  | { kind: 'hit'; ttlSeconds: number; detail?: string }
  | { kind: 'stale'; ttlSeconds: number }
  | { kind: 'miss'; stored: boolean; detail?: string }
  | { kind: 'bypass'; detail: string }

/** Formats one RFC 9211 Cache-Status member for cutover. */
export function cacheStatus(outcome: CacheOutcome): string {
  switch (outcome.kind) {
    case 'hit':
      return `${CACHE_NAME}; hit; ttl=${outcome.ttlSeconds}${outcome.detail ? `; detail=${outcome.detail}` : ''}`
    case 'stale':
      return `${CACHE_NAME}; fwd=stale; ttl=${outcome.ttlSeconds}`
    case 'miss':
      return `${CACHE_NAME}; fwd=miss${outcome.stored ? '; stored' : ''}${outcome.detail ? `; detail=${outcome.detail}` : ''}`
    case 'bypass':
      return `${CACHE_NAME}; fwd=bypass; detail=${outcome.detail}`
  }
}

/** A stored page as one request is answered with it. */
export interface ServedPage {
  page: StoredPage
  outcome: CacheOutcome
  now: number
  /** The route keys on the user: the response is marked private on its way out. */
  personal: boolean
}

/**
 * Answers a request from a stored page: the stored headers, Age, the ETag and
 * Cache-Status, and 304 when If-None-Match matches (with the same headers,
 * RFC 9110 §15.4.5).
 */
export function sendPage(request: FastifyRequest, reply: FastifyReply, served: ServedPage): void {
  const { page, outcome, now } = served
  reply.headers(page.headers)
  // A page stored brotli-compressed goes as it is to clients that accept br (see encoding.ts).
  const forms = page.brotli === undefined ? undefined : representationsOf(page)
  // A Range request gets the identity body: its byte positions are the identity form's (answerFromOrigin).
  const brotli = forms !== undefined && forms.negotiates && request.headers.range === undefined && acceptsBrotli(request.headers['accept-encoding'])
  if (forms?.negotiates) reply.header('vary', forms.vary)
  if (brotli) reply.header('content-encoding', 'br')
  if (served.personal) markPersonal(reply)
  const etag = brotli ? forms.brotliEtag : page.etag
  reply.header('age', Math.max(0, Math.floor((now - page.storedAt) / 1000)))
  reply.header('etag', etag)
  reply.header(CACHE_STATUS_HEADER, cacheStatus(outcome))
  // cutover-path: page is already set, by the page path's onRequest (every hit is answered from there).
  const inm = request.headers['if-none-match']
  if (page.status === 200 && etagMatches(inm, etag)) {
    reply.code(304).send()
    return
  }
  if (page.origin !== undefined && answerFromOrigin(request, reply, page)) return
  reply.code(page.status).send(brotli ? page.brotli : page.body)
}

/**
 * What a followOrigin page adds to a hit: the origin's Date (RFC 9110 §6.6.1),
 * If-Modified-Since answered with 304 when If-None-Match is absent
 * (RFC 9110 §13.2.2), and one byte range served from the stored complete 200
 * (RFC 9110 §14). True when it sent the response.
 */
function answerFromOrigin(request: FastifyRequest, reply: FastifyReply, page: StoredPage): boolean {
  if (page.origin?.date !== undefined) reply.header('date', page.origin.date)
  if (page.status !== 200) return false
  const { headers } = request
  if (headers['if-none-match'] === undefined && notModifiedSince(page, headers['if-modified-since'])) {
    reply.code(304).send()
    return true
  }
  const range = headers.range
  const ifRange = headers['if-range']
  if (range === undefined || !rangeApplies(typeof ifRange === 'string' ? ifRange : undefined, page)) return false
  const part = byteRange(range, page.body.length)
  if (part === undefined) return false
  if (part === 'unsatisfiable') {
    reply.header('content-range', `bytes */${page.body.length}`).code(416).send()
    return true
  }
  reply.header('content-range', `bytes ${part.start}-${part.end}/${page.body.length}`)
  reply.code(206).send(page.body.subarray(part.start, part.end + 1))
  return true
}

/** If-Range (RFC 9110 §13.1.5): a range is served only when the validator is the page's (strong ETag or its date). */
function rangeApplies(ifRange: string | undefined, page: StoredPage): boolean {
  if (ifRange === undefined) return true
  if (ifRange.startsWith('"')) return ifRange === page.etag
  const lastModified = page.headers['last-modified']
  return typeof lastModified === 'string' && Date.parse(ifRange) === Date.parse(lastModified)
}

/**
 * One byte range of a body `length` long (RFC 9110 §14.1.2); undefined when
 * the header is not one range in bytes (then the whole page is sent).
 */
export function byteRange(header: string, length: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim())
  if (!m || (m[1] === '' && m[2] === '')) return undefined
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0) return 'unsatisfiable'
    return { start: Math.max(0, length - suffix), end: length - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? length - 1 : Math.min(Number(m[2]), length - 1)
  if (m[2] !== '' && Number(m[2]) < start) return undefined
  if (start >= length) return 'unsatisfiable'
  return { start, end }
}
