import { describe, expect, it } from 'vitest'
import { credentialVary, fieldMembers, privateCacheControl } from '../../src/pagecache/personal.js'

describe('fieldMembers', () => {
  it('splits on commas outside quoted strings only', () => {
    expect(fieldMembers('no-cache="set-cookie, x-a", max-age=5')).toEqual(['no-cache="set-cookie, x-a"', 'max-age=5'])
    expect(fieldMembers('a="x\\", y", b')).toEqual(['a="x\\", y"', 'b'])
    expect(fieldMembers(' , a,,b , ')).toEqual(['a', 'b'])
    expect(fieldMembers('')).toEqual([])
  })
})

describe('privateCacheControl', () => {
  it.each([
    [undefined, 'private'],
    ['public, max-age=60', 'private, max-age=60'],
    ['s-maxage=300', 'private'],
    ['PUBLIC, S-MAXAGE=300, Max-Age=10, Proxy-Revalidate', 'private, Max-Age=10'],
    ['public, max-age=60, stale-while-revalidate=30, must-revalidate', 'private, max-age=60, stale-while-revalidate=30, must-revalidate'],
    ['private="set-cookie, x-token", max-age=5', 'private, max-age=5'],
    ['no-store', 'private, no-store'],
    ['no-cache="x-a, x-b", public', 'private, no-cache="x-a, x-b"'],
    ['private', 'private'],
  ])('turns %j into %j', (input, expected) => {
    expect(privateCacheControl(input)).toBe(expected)
  })

  it('reads a header sent as several fields', () => {
    expect(privateCacheControl(['public', 'max-age=60'])).toBe('private, max-age=60')
  })
})

describe('credentialVary', () => {
  it.each([
    [undefined, 'Authorization, Cookie'],
    ['Accept-Language', 'Accept-Language, Authorization, Cookie'],
    ['cookie, Accept-Language', 'cookie, Accept-Language, Authorization'],
    ['AUTHORIZATION,COOKIE', 'AUTHORIZATION, COOKIE'],
    ['*', '*'],
  ])('turns %j into %j', (input, expected) => {
    expect(credentialVary(input)).toBe(expected)
  })
})
