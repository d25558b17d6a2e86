import type { FastifyReply } from 'fastify'

type HeaderValue = string | string[] | number | undefined

/**
 * Directives that let a shared cache store or reuse the response, or that
 * address shared caches only: `public` (RFC 9111 §5.2.2.9), `s-maxage`
 * (§5.2.2.10), `proxy-revalidate` (§5.2.2.8), and any `private`, qualified or
 * not, which is replaced by the unqualified form.
 */
const SHARED_ONLY = new Set(['public', 's-maxage', 'proxy-revalidate', 'private'])

/**
 * Request headers a personal page is told apart by in a client's own cache.
 * A browser shared by two people who log in and out in turn keeps one copy of
 * a URL; naming the credentials in `Vary` (RFC 9110 §12.5.5, RFC 9111 §4.1)
 * makes it reuse the copy only for the credentials it was made for. Both are
 * always named: an absent header is a variant too.
 */
const CREDENTIALS = ['Authorization', 'Cookie']

function joined(value: HeaderValue): string {
  if (value === undefined) return ''
  return Array.isArray(value) ? value.join(', ') : String(value)
}

/**
 * The members of a comma-separated field value, split outside quoted strings
 * (RFC 9110 §5.6.1, §5.6.4), so `no-cache="a, b"` stays one directive.
 * (http-cache-semantics reads Cache-Control for cutover's own decisions, but
 * its parser splits inside quotes and it offers no rewrite, so this one is
 * written out; the rewrite keeps each kept member's text as sent.)
 */
export function fieldMembers(value: string): string[] {
  const members: string[] = []
  let current = ''
  let quoted = false
  for (let i = 0; i < value.length; i++) {
    const ch = value.charAt(i)
    if (quoted && ch === '\\') {
      current += ch + value.charAt(i + 1)
      i++
      continue
    }
    if (ch === '"') quoted = !quoted
    if (ch === ',' && !quoted) {
      members.push(current)
      current = ''
    } else current += ch
  }
  members.push(current)
  return members.map((m) => m.trim()).filter((m) => m.length > 0)
}

const directiveName = (member: string): string => (member.split('=', 1)[0] ?? '').trim().toLowerCase()

/**
 * The Cache-Control a page keyed on the user is sent with: `private` first,
 * the shared-cache directives removed, everything else kept as sent.
 *
 * RFC 9111 §5.2.2.7: unqualified `private` means a shared cache MUST NOT store
 * the response, while a private cache MAY. So the handler's `max-age` (and
 * `must-revalidate`, `no-cache`, `stale-while-revalidate`, ...) stays: it is
 * what the origin allowed every cache, and the user's browser reusing its own
 * page is within that. No lifetime is added: `s-maxage` was granted to shared
 * caches only, and the route's `ttl` governs cutover's own copy, which a tag
 * purge can end early; a browser's copy cannot be purged.
 */
export function privateCacheControl(value: HeaderValue): string {
  const kept = fieldMembers(joined(value)).filter((m) => !SHARED_ONLY.has(directiveName(m)))
  return ['private', ...kept].join(', ')
}

/** The Vary a page keyed on the user is sent with: the handler's, plus the credential headers. */
export function credentialVary(value: HeaderValue): string {
  const members = fieldMembers(joined(value))
  const named = new Set(members.map((m) => m.toLowerCase()))
  if (named.has('*')) return members.join(', ')
  return [...members, ...CREDENTIALS.filter((h) => !named.has(h.toLowerCase()))].join(', ')
}

/**
 * Marks a response of a route keyed on the user as personal on its way to the
 * client, so no shared cache downstream (a CDN, a proxy) stores one user's
 * page and serves it to another. Only the outgoing headers change: the page
 * cutover stores keeps the handler's headers, since cutover's own storability
 * check refuses `private`.
 */
export function markPersonal(reply: FastifyReply): void {
  reply.header('cache-control', privateCacheControl(reply.getHeader('cache-control')))
  reply.header('vary', credentialVary(reply.getHeader('vary')))
}
