import { normalizePath, type PathRules } from './key.js'

/** Methods that never invalidate (RFC 9110 §9.2.1). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE'])

export interface UnsafeExchange {
  method: string
  url: string
  host: string | undefined
  status: number
  location: unknown
  contentLocation: unknown
}

/**
 * The URIs (host and normalized path) an unsafe request invalidates (RFC 9111
 * §4.4): after a non-error response, its target URI, and the URIs in Location
 * and Content-Location when they are on the same host (another host's pages
 * could otherwise be purged by whoever controls a response).
 */
export function invalidatedUris(ex: UnsafeExchange, rules: PathRules): Array<{ host: string; path: string }> {
  if (SAFE.has(ex.method) || ex.status < 200 || ex.status >= 400 || ex.host === undefined) return []
  const host = ex.host.toLowerCase()
  const base = new URL(`http://${host}${ex.url.startsWith('/') ? ex.url : '/'}`)
  const out = [{ host, path: normalizePath(ex.url, rules) }]
  for (const value of [ex.location, ex.contentLocation]) {
    if (typeof value !== 'string' || value === '') continue
    let target: URL
    try {
      target = new URL(value, base)
    } catch {
      continue
    }
    if (target.host !== base.host || (target.protocol !== 'http:' && target.protocol !== 'https:')) continue
    const path = normalizePath(target.pathname, rules)
    if (!out.some((u) => u.path === path)) out.push({ host, path })
  }
  return out
}
