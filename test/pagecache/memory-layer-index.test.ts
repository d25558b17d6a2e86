import { describe, expect, it } from 'vitest'
import { MemoryLayerIndex, TagStateCache } from '../../src/pagecache/memory-layer-index.js'

const rec = (hash: string, tags: string[], expiresAt: number) => ({ key: { route: 'r', hash }, tags, deleteAt: expiresAt + 1000, expiresAt })

describe('MemoryLayerIndex', () => {
  it('finds records by tag and forgets them everywhere', () => {
    const index = new MemoryLayerIndex()
    index.add('1', rec('1', ['a', 'b'], 100), 0)
    index.add('2', rec('2', ['b'], 100), 0)
    index.add('3', rec('3', [], 100), 0)
    expect(index.removeTagged(['b']).map((k) => k.hash).sort()).toEqual(['1', '2'])
    expect(index.removeTagged(['a'])).toEqual([])
    expect(index.size).toBe(1)
    expect(index.clear()).toEqual([{ route: 'r', hash: '3' }])
    expect(index.size).toBe(0)
  })

  it('replaces a record re-added under the same id, dropping its old tags', () => {
    const index = new MemoryLayerIndex()
    index.add('1', rec('1', ['a'], 100), 0)
    index.add('1', rec('1', ['b'], 200), 0)
    expect(index.removeTagged(['a'])).toEqual([])
    expect(index.get('1')?.expiresAt).toBe(200)
  })

  it('sweeps expired records as new ones arrive, so evicted copies do not pile up', () => {
    const index = new MemoryLayerIndex()
    for (let i = 0; i < 100; i++) index.add(String(i), rec(String(i), ['t'], i + 10), i)
    // At time 99 every record that expired at or before 99 is gone.
    expect(index.size).toBe(10)
    expect(index.get('89')).toBeUndefined()
    expect(index.get('90')).toBeDefined()
  })
})

describe('TagStateCache', () => {
  it('merges to the higher version and hard mark whatever order states arrive in', () => {
    const cache = new TagStateCache()
    cache.merge('t', { version: 5, hard: 2 }, 0, 100)
    expect(cache.merge('t', { version: 4, hard: 3 }, 1, 100)).toEqual({ version: 5, hard: 3 })
    expect(cache.get('t', 50)).toEqual({ version: 5, hard: 3 })
  })

  it('forgets a state after its time to live and on clear', () => {
    const cache = new TagStateCache()
    cache.merge('t', { version: 5, hard: 2 }, 0, 100)
    expect(cache.get('t', 100)).toBeUndefined()
    expect(cache.merge('t', { version: 1, hard: 0 }, 100, 100)).toEqual({ version: 1, hard: 0 })
    cache.clear()
    expect(cache.get('t', 101)).toBeUndefined()
  })
})
