import type { FastifyReply } from 'fastify'
import { connectionListed, originPolicy, servesOnError, type Decision, type OriginFreshness } from './origin-policy.js'
import { foldedCacheControl, KEYED_ORIGIN } from './policy.js'
import { etagMatches, notModifiedSince, storableHeaders } from './respond.js'
import type { RouteCacheConfig } from './route-config.js'
import type { StoredPage } from './store.js'

/**
 * What the store path of a `followOrigin` route does beyond a fixed-ttl
 * route's: the origin's freshness and Age, headers named in Connection left
 * out, a 304 to a revalidation folded into the stored page, and a failed
 * revalidation answered with the stale page where the origin allowed it.
 */

type Headers = Record<string, string | string[] | number | undefined>

/** The headers kept of a followOrigin response: the usual ones, less those its Connection names (RFC 9111 §3.1). */
export function originStorableHeaders(headers: Headers): Record<string, string | string[]> {
  const kept = storableHeaders(headers)
  for (const name of connectionListed(headers)) delete kept[name]
  return kept
}

export interface OriginRender {
  route: RouteCacheConfig
  status: number
  headers: Headers
  body: Buffer
  requestHeaders: Headers
  url: string
}

export function decideOrigin(render: OriginRender, originEtag: boolean): Decision<OriginFreshness> {
  return originPolicy(
    { route: render.route, keyed: KEYED_ORIGIN },
    { status: render.status, headers: render.headers, bodyBytes: render.body.length, requestHeaders: render.requestHeaders, url: render.url, originEtag },
    foldedCacheControl,
  )
}

/** The page as it will be stored: times from the origin's freshness (storedAt is now less the response's age). */
export function originPage(
  base: Omit<StoredPage, 'storedAt' | 'staleAt' | 'deleteAt' | 'origin'>,
  freshness: OriginFreshness,
  now: number,
): StoredPage {
  const storedAt = Math.max(0, now - freshness.ageMs)
  const staleAt = Math.max(storedAt, now + freshness.ttlMs)
  return { ...base, storedAt, staleAt, deleteAt: Math.max(staleAt, now) + freshness.keepMs, origin: freshness.facts }
}

/**
 * A stored page updated by a 304 (RFC 9111 §4.3.4): every field the 304
 * carries replaces the stored one, except Content-Length and what is never
 * stored. Returns the header set to judge freshness by and to store.
 */
export function freshenedHeaders(stored: StoredPage, notModified: Headers): { judged: Headers; kept: Record<string, string | string[]>; etag: string } {
  const update = originStorableHeaders(notModified)
  const kept = { ...stored.headers, ...update }
  const etag = typeof notModified.etag === 'string' ? notModified.etag : stored.etag
  const judged: Headers = { ...kept, etag }
  for (const name of ['date', 'age'] as const) {
    const v = notModified[name] ?? (name === 'date' ? stored.origin?.date : undefined)
    if (v !== undefined) judged[name] = v
  }
  return { judged, kept, etag }
}

/** Validators the client sent before the render was made conditional for the stored page. */
export interface ClientValidators {
  ifNoneMatch: string | undefined
  ifModifiedSince: string | undefined
}

/**
 * Answers the client from a stored page in onSend (after a 304 freshened it,
 * or when it stands in for a failed revalidation): its headers, Date, Age and
 * ETag, and 304 when the client's own validators match. Returns the payload.
 */
export function answerWithPage(reply: FastifyReply, page: StoredPage, asked: ClientValidators, now: number): Buffer | string {
  reply.headers(page.headers)
  if (page.origin?.date) reply.header('date', page.origin.date)
  reply.header('age', Math.max(0, Math.floor((now - page.storedAt) / 1000)))
  reply.header('etag', page.etag)
  const match = asked.ifNoneMatch !== undefined ? etagMatches(asked.ifNoneMatch, page.etag) : notModifiedSince(page, asked.ifModifiedSince)
  if (page.status === 200 && match) {
    reply.code(304)
    reply.removeHeader('content-length')
    return ''
  }
  reply.code(page.status)
  return page.body
}

/** A revalidation that failed (a 5xx) may be answered with the stale page while stale-if-error allows. */
export function standsInForError(stored: StoredPage | undefined, status: number, now: number): boolean {
  return stored !== undefined && status >= 500 && servesOnError(stored, now)
}
