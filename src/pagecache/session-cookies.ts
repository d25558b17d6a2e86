type HeaderValue = string | string[] | number | undefined

/**
 * Cookie names the app declared as session cookies (plugin option
 * `sessionCookies`): no cached page depends on them. Compared exactly, since
 * cookie names are case-sensitive (RFC 6265 §5.4 returns them as set).
 */
export type SessionCookies = ReadonlySet<string>

/** True when the text holds a control character (C0 or DEL), which no cookie pair may (RFC 6265 §4.1.1). */
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * The name of one `name=value` pair, or undefined when the pair has no name
 * (browsers send `=v` and a bare `v` as a cookie named "" (RFC 6265bis
 * §5.6), which no one declares) or holds control characters.
 */
function pairName(pair: string): string | undefined {
  const eq = pair.indexOf('=')
  if (eq <= 0) return undefined
  const name = pair.slice(0, eq).trim()
  return name.length > 0 && !hasControl(pair) ? name : undefined
}

/** The names in a request's Cookie header (RFC 6265 §4.2.1); undefined when any pair is unreadable. */
export function requestCookieNames(header: HeaderValue): string[] | undefined {
  if (header === undefined) return []
  const text = Array.isArray(header) ? header.join('; ') : String(header)
  const names: string[] = []
  for (const raw of text.split(';')) {
    const pair = raw.trim()
    if (pair === '') continue
    const name = pairName(pair)
    if (name === undefined) return undefined
    names.push(name)
  }
  return names
}

/**
 * True when the request carries cookies and every one of them is a declared
 * session cookie. An unreadable header is never "only session cookies".
 */
export function onlySessionCookies(header: HeaderValue, declared: SessionCookies): boolean {
  if (declared.size === 0) return false
  const names = requestCookieNames(header)
  return names !== undefined && names.length > 0 && names.every((n) => declared.has(n))
}

/**
 * The cookie each Set-Cookie field sets (RFC 6265 §5.2: the name is what
 * precedes the first `=` of the text before the first `;`); undefined when
 * any field is unreadable.
 */
export function setCookieNames(value: HeaderValue): string[] | undefined {
  if (value === undefined) return []
  const fields = Array.isArray(value) ? value : [String(value)]
  const names: string[] = []
  for (const field of fields) {
    if (typeof field !== 'string') return undefined
    const name = pairName(field.split(';', 1)[0] ?? '')
    if (name === undefined) return undefined
    names.push(name)
  }
  return names
}

/**
 * May a response carrying this Set-Cookie be stored with the field left out?
 * Only when every field sets a declared session cookie: that cookie is the
 * session's own bookkeeping (a rolling expiry, a new anonymous session), and
 * the page, by the app's declaration, does not depend on it. A cookie of any
 * other name may be what the page was made for (a CSRF token, a preference
 * the body reflects), so such a response is not stored at all. The field
 * itself is never stored: replayed, it would hand one client's session to
 * everyone served the page.
 */
export function setsOnlySessionCookies(value: HeaderValue, declared: SessionCookies): boolean {
  if (declared.size === 0) return false
  const names = setCookieNames(value)
  return names !== undefined && names.length > 0 && names.every((n) => declared.has(n))
}
