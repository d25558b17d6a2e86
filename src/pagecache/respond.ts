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
  const brotli = forms !== undefined && forms.negotiates && acceptsBrotli(request.headers['accept-encoding'])
  if (forms?.negotiates) reply.header('vary', forms.vary)
  if (brotli) reply.header('content-encoding', 'br')
  if (served.personal) markPersonal(reply)
  const etag = brotli ? forms.brotliEtag : page.etag
  reply.header('age', Math.max(0, Math.floor((now - page.storedAt) / 1000)))
  reply.header('etag', etag)
  reply.header(CACHE_STATUS_HEADER, cacheStatus(outcome))
  reply.header(PATH_HEADER, 'page')
  const inm = request.headers['if-none-match']
  if (page.status === 200 && etagMatches(inm, etag)) {
    reply.code(304).send()
    return
  }
  reply.code(page.status).send(brotli ? page.brotli : page.body)
}
