import type { StoredPage } from './store.js'

/**
 * Content negotiation of a stored page's body (RFC 9110 §12.5.3, §8.4): a
 * page a store holds brotli-compressed goes as it is to clients that accept
 * br, and decompressed to the rest.
 */

/** Whether an Accept-Encoding value admits br: listed with q > 0, or `*` with q > 0 where br is not listed. */
export function acceptsBrotli(header: string | string[] | undefined): boolean {
  if (header === undefined) return false
  const value = Array.isArray(header) ? header.join(',') : header
  if (value === lastValue) return lastAnswer
  let star = false
  let answer: boolean | undefined
  for (const member of value.split(',')) {
    const [coding = '', ...params] = member.split(';')
    const name = coding.trim().toLowerCase()
    if (name !== 'br' && name !== '*') continue
    const q = params.map((p) => p.trim().toLowerCase()).find((p) => p.startsWith('q='))
    const weight = q === undefined ? 1 : Number(q.slice(2))
    const admits = Number.isFinite(weight) && weight > 0
    if (name === 'br') answer = admits
    else star = admits
  }
  lastValue = value
  lastAnswer = answer ?? star
  return lastAnswer
}
// Clients send one of a few Accept-Encoding values: the last one's answer is kept.
let lastValue: string | undefined
let lastAnswer = false

/** How a page is sent in each of its forms, worked out once per stored page object. */
export interface Representations {
  /** True when the page has a br form that may be sent (the origin set no Content-Encoding and no `no-transform`). */
  negotiates: boolean
  /** The Vary to send when negotiating: the page's own plus Accept-Encoding. */
  vary: string
  /** The br form's ETag: a strong validator differs between representations (RFC 9110 §8.8.3). */
  brotliEtag: string
}

const prepared = new WeakMap<StoredPage, Representations>()

const joined = (value: string | string[] | undefined): string => (value === undefined ? '' : Array.isArray(value) ? value.join(', ') : value)

export function representationsOf(page: StoredPage): Representations {
  let forms = prepared.get(page)
  if (forms === undefined) {
    const { headers } = page
    const negotiates = page.brotli !== undefined && headers['content-encoding'] === undefined && !/(^|[\s,])no-transform($|[\s,])/i.test(joined(headers['cache-control']))
    const vary = joined(headers.vary)
    const members = vary.split(',').map((m) => m.trim().toLowerCase())
    forms = {
      negotiates,
      vary: members.includes('*') || members.includes('accept-encoding') ? vary : vary.trim() === '' ? 'accept-encoding' : `${vary}, accept-encoding`,
      brotliEtag: page.etag.endsWith('"') ? `${page.etag.slice(0, -1)}-br"` : `${page.etag}-br`,
    }
    prepared.set(page, forms)
  }
  return forms
}
