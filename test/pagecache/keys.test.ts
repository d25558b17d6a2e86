import { describe, expect, it } from 'vitest'
import { escapeKeyPart, pageCacheKeys } from '../../src/pagecache/keys.js'

/** The part of a key Redis Cluster hashes: between the first `{` and the next `}` (when not empty). */
function hashTag(name: string): string {
  const open = name.indexOf('{')
  const close = name.indexOf('}', open + 1)
  if (open === -1 || close === -1 || close === open + 1) return name
  return name.slice(open + 1, close)
}

describe('page cache key names', () => {
  const keys = pageCacheKeys('app')

  it('puts every name under <prefix>:v1 with the route as the hash tag', () => {
    expect(keys.page({ route: 'products.list', hash: 'ab12' })).toBe('app:v1:{products.list}:page:ab12')
    expect(keys.lease({ route: 'products.list', hash: 'ab12' })).toBe('app:v1:{products.list}:lease:ab12')
    expect(keys.tags).toBe('app:v1:tags')
    expect(keys.invalidateChannel).toBe('app:v1:invalidate')
  })

  it('escapes braces, colons, percent signs and non-ASCII in route ids', () => {
    expect(escapeKeyPart('a}b{c:d%e f')).toBe('a%7Db%7Bc%3Ad%25e%20f')
    expect(escapeKeyPart('ü')).toBe('%C3%BC')
    expect(escapeKeyPart('Az09._~-')).toBe('Az09._~-')
  })

  it('gives the page and the lease of one route the same hash tag, and other routes another', () => {
    const routes = ['x', 'x}', '}x', '{x}', 'x:page:y', 'x%7D', '']
    const seen = new Set<string>()
    for (const route of routes.filter((r) => r !== '')) {
      const page = keys.page({ route, hash: 'h' })
      const lease = keys.lease({ route, hash: 'h' })
      expect(hashTag(page)).toBe(hashTag(lease))
      expect(hashTag(page)).toBe(escapeKeyPart(route))
      expect(page.match(/[{}]/g)).toEqual(['{', '}'])
      seen.add(hashTag(page))
    }
    expect(seen.size).toBe(routes.length - 1)
  })

  it('cannot be made to forge another key by a crafted route or hash', () => {
    const forged = keys.page({ route: 'a}:page:b', hash: 'c' })
    expect(forged).not.toBe(keys.page({ route: 'a', hash: 'b' }))
    expect(keys.page({ route: 'a', hash: 'b:lease:c' })).toBe('app:v1:{a}:page:b%3Alease%3Ac')
  })

  it('rejects empty or non-string route ids and hashes, and prefixes with braces', () => {
    expect(() => keys.page({ route: '', hash: 'h' })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' }))
    expect(() => keys.lease({ route: 'r', hash: 7 as unknown as string })).toThrow(/page key hash/)
    expect(() => keys.page(null as unknown as { route: string; hash: string })).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' }))
    expect(() => pageCacheKeys('')).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_STORE_ARGUMENT_INVALID' }))
    expect(() => pageCacheKeys('a{b}')).toThrow(/without "\{" or "\}"/)
  })
})
