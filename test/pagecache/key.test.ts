import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { clearKeyMemos, hashOfKeyText, KEY_HASH_MEMO_SIZE, keyedQuery, keyMemoSizes, keyMemoText, MEMO_MAX_CHARS, normalizePath, ORIGIN_HEADERS, pageKeyHash, pageKeyParts, pageKeyText, type KeyInput } from '../../src/pagecache/key.js'

const rules = { ignoreTrailingSlash: false, ignoreDuplicateSlashes: false }
const base: KeyInput = { routeId: 'r', url: '/a', query: {}, queryAllow: true, headers: {}, vary: [], rules }
const key = (over: Partial<KeyInput>): string => pageKeyHash({ ...base, ...over })

describe('normalizePath', () => {
  it('decodes percent-encoded unreserved characters and upper-cases other escapes (RFC 3986 §6.2.2)', () => {
    expect(normalizePath('/a%2db%7e', rules)).toBe('/a-b~')
    expect(normalizePath('/a%2fb', rules)).toBe('/a%2Fb')
    expect(normalizePath('/%e2%82%ac', rules)).toBe('/%E2%82%AC')
  })
  it('keeps %2F distinct from a slash and keeps malformed escapes verbatim', () => {
    expect(normalizePath('/a%2Fb', rules)).not.toBe(normalizePath('/a/b', rules))
    expect(normalizePath('/a%zz', rules)).toBe('/a%zz')
  })
  it('drops the query and fragment, so /a and /a? are one path', () => {
    expect(normalizePath('/a?', rules)).toBe('/a')
    expect(normalizePath('/a?x=1#f', rules)).toBe('/a')
  })
  it('follows the router: trailing and duplicate slashes only fold when the router folds them', () => {
    expect(normalizePath('/a/', rules)).toBe('/a/')
    expect(normalizePath('/a/', { ...rules, ignoreTrailingSlash: true })).toBe('/a')
    expect(normalizePath('/', { ...rules, ignoreTrailingSlash: true })).toBe('/')
    expect(normalizePath('//a//b', rules)).toBe('//a//b')
    expect(normalizePath('//a//b', { ...rules, ignoreDuplicateSlashes: true })).toBe('/a/b')
    expect(normalizePath('/A', rules)).toBe('/A')
  })
  it('keeps ; and dots as path characters', () => {
    expect(normalizePath('/me;x.css', rules)).toBe('/me;x.css')
  })
})

describe('keyedQuery', () => {
  it('sorts by name, keeps repeated values in order, drops what is not allowed', () => {
    expect(keyedQuery({ b: '2', a: ['3', '1'], z: 'x' }, ['a', 'b'])).toEqual([
      ['a', ['3', '1']],
      ['b', '2'],
    ])
    expect(keyedQuery({ b: '2', a: '1' }, true)).toEqual([
      ['a', '1'],
      ['b', '2'],
    ])
    expect(keyedQuery(null, true)).toEqual([])
  })

  it('keys a parameter an allow-list names twice once, and orders names by code unit as the default sort does', () => {
    expect(keyedQuery({ b: '2', a: '1' }, ['b', 'a', 'b', 'missing', 'a'])).toEqual([
      ['a', '1'],
      ['b', '2'],
    ])
    const names = ['é', 'Z', 'a', '_', '10', '9', '😀', '\uffff']
    const query = Object.fromEntries(names.map((n) => [n, n]))
    expect(keyedQuery(query, true).map(([n]) => n)).toEqual([...names].sort())
    expect(keyedQuery(query, [...names].reverse()).map(([n]) => n)).toEqual([...names].sort())
  })
})

describe('pageKeyHash', () => {
  it('is stable and hex', () => {
    expect(key({})).toBe(key({}))
    expect(key({})).toMatch(/^[0-9a-f]{40}$/)
  })
  it('changes with route, path, allowed query, vary values and user', () => {
    const k = key({})
    expect(key({ routeId: 's' })).not.toBe(k)
    expect(key({ url: '/b' })).not.toBe(k)
    expect(key({ query: { a: '1' } })).not.toBe(k)
    expect(key({ vary: ['accept-language'], headers: { 'accept-language': 'fr' } })).not.toBe(
      key({ vary: ['accept-language'], headers: { 'accept-language': 'de' } }),
    )
    expect(key({ user: 'u1' })).not.toBe(key({ user: 'u2' }))
  })
  it('ignores headers that are not in vary and query parameters outside the allow-list', () => {
    expect(key({ headers: { 'x-custom': 'evil' } })).toBe(key({}))
    expect(key({ queryAllow: ['page'], query: { page: '1', utm: 'x' } })).toBe(key({ queryAllow: ['page'], query: { page: '1' } }))
  })
  it('tells a missing vary header from an empty one, and a missing user from an empty one', () => {
    expect(key({ vary: ['x-a'], headers: {} })).not.toBe(key({ vary: ['x-a'], headers: { 'x-a': '' } }))
    expect(key({ user: '' })).not.toBe(key({}))
  })
  it('cannot be forged by moving a delimiter between parts', () => {
    expect(key({ routeId: 'a', url: '/b/c' })).not.toBe(key({ routeId: 'a/b', url: '/c' }))
    expect(key({ query: { a: '1&b=2' } })).not.toBe(key({ query: { a: '1', b: '2' } }))
    expect(key({ vary: ['x-a'], headers: { 'x-a': '1", "x' } })).not.toBe(key({ vary: ['x-a'], headers: { 'x-a': '1' } }))
  })
})

describe('hashOfKeyText (the memoized key hash)', () => {
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40)

  it('is the SHA-256 of the key text, for texts seen before, pushed out of the memo, and seen again', () => {
    const texts = Array.from({ length: KEY_HASH_MEMO_SIZE + 10 }, (_, i) => `["k2","r","/p/${i}"]`)
    for (const t of texts) expect(hashOfKeyText(t)).toBe(sha(t))
    for (const t of [texts[0]!, texts.at(-1)!, texts[5]!]) expect(hashOfKeyText(t)).toBe(sha(t))
  })

  it('keeps pageKeyHash the hash of pageKeyText, with or without a frozen vary list', () => {
    const input: KeyInput = { ...base, vary: Object.freeze(['x-tenant']), headers: { host: 'a.example', 'x-tenant': 't1' } }
    expect(pageKeyHash(input)).toBe(sha(pageKeyText(input)))
    const mutable = ['x-forwarded-host']
    const first = pageKeyText({ ...base, vary: mutable, headers: { 'x-forwarded-host': 'b' } })
    mutable.pop()
    // The vary list changed: x-forwarded-host is keyed as an origin header again, not as a varied one.
    expect(pageKeyText({ ...base, vary: mutable, headers: { 'x-forwarded-host': 'b' } })).not.toBe(first)
  })
})

describe('pageKeyText', () => {
  // Strings a client or an app can put in any part: quotes, escapes, control characters, lone
  // surrogates, separators of the text, characters outside the BMP.
  const nasty = ['', 'plain', '"', '\\', '","', '],[', '\u0000\u001f', '\u2028', '\ud800', 'a\udc00b', '😀', ' spaced ', 'null']
  const inputs: KeyInput[] = [
    base,
    ...nasty.flatMap((s): KeyInput[] => [
      { ...base, routeId: s },
      { ...base, url: `/p/${s}?q=1` },
      { ...base, query: { [s]: s, list: [s, s], nested: { [s]: [s] }, gone: undefined, fn: () => s }, queryAllow: true },
      { ...base, query: { a: s, b: 'x' }, queryAllow: ['b', 'a', 'missing'] },
      { ...base, vary: Object.freeze(['x-tenant', 'accept-language']), headers: { 'x-tenant': s, 'accept-language': [s, s] } },
      { ...base, vary: ['host'], headers: { host: s.toUpperCase() } },
      { ...base, headers: Object.fromEntries(ORIGIN_HEADERS.map((name) => [name, `${s}; for=1.2.3.4`])) },
      { ...base, headers: { host: [s, 'B.example'], forwarded: `for=x;host=${s}` } },
      { ...base, user: s },
    ]),
  ]

  it('is JSON.stringify of the key parts, for every part holding anything', () => {
    for (const input of inputs) expect(pageKeyText(input)).toBe(JSON.stringify(pageKeyParts(input)))
  })

  it('is valid JSON that gives the parts back', () => {
    for (const input of inputs) expect(JSON.parse(pageKeyText(input))).toEqual(JSON.parse(JSON.stringify(pageKeyParts(input))))
  })
})

describe('keyMemoText (what the hash memo knows a key by)', () => {
  const sha = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 40)
  const nasty = ['', 'plain', '"', '\\', '","', '],[', ',null', 'null', '0,', '\u0000', '\ud800', '😀', ' x ']
  const tenant = Object.freeze(['x-tenant'])
  const two = Object.freeze(['x-tenant', 'accept-language'])
  const none = Object.freeze([] as string[])
  // Values that could run into each other if the memo text lost a boundary: every part, alone and in pairs.
  const inputs: KeyInput[] = [
    { ...base, vary: none },
    ...nasty.flatMap((s): KeyInput[] => [
      { ...base, vary: none, routeId: s },
      { ...base, vary: none, routeId: `${s}"`, url: '/p' },
      { ...base, vary: none, url: `/p/${s}` },
      { ...base, vary: none, query: { [s]: s, list: [s] }, queryAllow: true },
      { ...base, vary: none, query: { a: s }, queryAllow: ['a'] },
      { ...base, vary: tenant, headers: { 'x-tenant': s } },
      { ...base, vary: tenant, headers: { 'x-tenant': [s, s] } },
      { ...base, vary: two, headers: { 'x-tenant': s, 'accept-language': s } },
      { ...base, vary: two, headers: { 'accept-language': `${s},${s}` } },
      { ...base, vary: none, headers: { host: s, 'x-forwarded-host': s } },
      { ...base, vary: none, headers: { 'x-forwarded-proto': s } },
      { ...base, vary: none, user: s },
      { ...base, vary: none, user: `${s}null` },
    ]),
  ]

  it('is one text for one key text only, and pageKeyHash stays the hash of the key text', () => {
    const byMemo = new Map<string, string>()
    for (const input of inputs) {
      const memo = keyMemoText(input)
      expect(memo).toBeTypeOf('string')
      const text = pageKeyText(input)
      const seen = byMemo.get(memo!)
      if (seen !== undefined) expect(text).toBe(seen)
      byMemo.set(memo!, text)
      expect(pageKeyHash(input)).toBe(sha(text))
      // Asked again: now from the memo.
      expect(pageKeyHash(input)).toBe(sha(text))
    }
    // Distinct key texts kept distinct memo texts.
    expect(new Set(inputs.map(pageKeyText)).size).toBe(byMemo.size)
  })

  it('finds a key by the inputs last seen for its URL only when every input is the same', () => {
    const rules = Object.freeze({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false })
    const twinRules = Object.freeze({ ignoreTrailingSlash: true, ignoreDuplicateSlashes: false })
    const allow = Object.freeze(['a', 'b'])
    const url = '/memo/p?a=1&b=2'
    const at: KeyInput = { routeId: 'memo', url, query: { a: '1', b: '2' }, queryAllow: allow, headers: { host: 'a.example' }, vary: tenant, rules }
    const tags = ['t1', 't2']
    const variants: KeyInput[] = [
      at,
      { ...at, headers: { host: 'b.example' } },
      { ...at, headers: { host: 'A.example' } },
      { ...at, headers: { host: 'a.example', 'x-tenant': 't1' } },
      { ...at, headers: { host: 'a.example', 'x-tenant': tags } },
      { ...at, headers: { host: 'a.example', 'x-tenant': ['t1, t2'] } },
      { ...at, headers: { host: 'a.example', 'x-forwarded-host': 'evil.example' } },
      { ...at, headers: { host: ['a.example', 'b.example'] } },
      { ...at, query: { a: '1', b: '3' } },
      { ...at, query: { a: ['1', '2'], b: '2' } },
      { ...at, query: { a: '1', b: '2', c: 'not keyed' } },
      { ...at, query: { a: { nested: '1' }, b: '2' } },
      { ...at, query: { a: 1, b: '2' } },
      { ...at, query: { a: null, b: '2' } },
      { ...at, queryAllow: true },
      { ...at, queryAllow: Object.freeze(['a']) },
      { ...at, user: 'u1' },
      { ...at, user: 'u2' },
      { ...at, routeId: 'memo-2' },
      { ...at, rules: twinRules, url: '/memo/p/?a=1&b=2' },
      { ...at, url: '/memo/p/?a=1&b=2' },
      { ...at, vary: two, headers: { host: 'a.example', 'accept-language': 'de' } },
    ]
    // Each asked after each other, so the inputs kept for the URL are another request's.
    for (const first of variants) {
      for (const then of variants) {
        expect(pageKeyHash(first)).toBe(sha(pageKeyText(first)))
        expect(pageKeyHash(then)).toBe(sha(pageKeyText(then)))
      }
    }
    // An array seen once and changed in place since is not the array seen.
    const held = ['t1']
    const input: KeyInput = { ...at, headers: { host: 'a.example', 'x-tenant': held } }
    expect(pageKeyHash(input)).toBe(sha(pageKeyText(input)))
    held[0] = 't2'
    expect(pageKeyHash(input)).toBe(sha(pageKeyText(input)))
    expect(pageKeyHash(input)).not.toBe(pageKeyHash({ ...input, headers: { host: 'a.example', 'x-tenant': ['t1'] } }))
    // So is a query object's value.
    const query: Record<string, unknown> = { a: '1', b: '2' }
    expect(pageKeyHash({ ...at, query })).toBe(sha(pageKeyText({ ...at, query })))
    query.b = '9'
    expect(pageKeyHash({ ...at, query })).toBe(sha(pageKeyText({ ...at, query })))
  })

  it('keeps nothing for a long URL or long header values, and still keys them', () => {
    const rules = Object.freeze({ ignoreTrailingSlash: false, ignoreDuplicateSlashes: false })
    const short: KeyInput = { ...base, url: '/short', vary: tenant, rules, headers: { host: 'a.example' } }
    const long: KeyInput = { ...short, url: `/${'l'.repeat(MEMO_MAX_CHARS)}` }
    const wide: KeyInput = { ...short, headers: { host: 'a.example', 'x-tenant': 'w'.repeat(MEMO_MAX_CHARS) } }
    clearKeyMemos()
    expect(pageKeyHash(short)).toBe(sha(pageKeyText(short)))
    expect(keyMemoSizes()).toEqual({ texts: 2, urls: 1 })
    for (const input of [long, wide]) {
      expect(pageKeyHash(input)).toBe(sha(pageKeyText(input)))
      expect(pageKeyHash(input)).toBe(sha(pageKeyText(input)))
    }
    expect(keyMemoSizes()).toEqual({ texts: 2, urls: 1 })
  })

  it('tells vary lists apart by the array, and has no memo text for one that is not frozen', () => {
    const headers = { 'x-tenant': 't1', 'accept-language': 'de' }
    const same = Object.freeze(['x-tenant'])
    expect(keyMemoText({ ...base, vary: tenant, headers })).not.toBe(keyMemoText({ ...base, vary: two, headers }))
    expect(keyMemoText({ ...base, vary: tenant, headers })).not.toBe(keyMemoText({ ...base, vary: same, headers }))
    // Two arrays with the same names: two memo texts, one key.
    expect(pageKeyHash({ ...base, vary: same, headers })).toBe(pageKeyHash({ ...base, vary: tenant, headers }))
    expect(keyMemoText({ ...base, vary: ['x-tenant'], headers })).toBeUndefined()
    expect(pageKeyHash({ ...base, vary: ['x-tenant'], headers })).toBe(sha(pageKeyText({ ...base, vary: tenant, headers })))
  })
})

describe('normalizePath fast paths', () => {
  const rules = { ignoreTrailingSlash: true, ignoreDuplicateSlashes: true }
  it('folds escapes and duplicate slashes exactly where the path holds them', () => {
    expect(normalizePath('/a//b/?x=%2d', rules)).toBe('/a/b')
    expect(normalizePath('/a%2db%2Fc', rules)).toBe('/a-b%2Fc')
    expect(normalizePath('/plain/path', rules)).toBe('/plain/path')
  })
})
