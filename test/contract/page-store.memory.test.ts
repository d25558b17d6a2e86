import { describe, expect, it } from 'vitest'
import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { makePage, pageStoreContract } from './page-store.contract.js'

// The clock reads Date.now at each call so the suite's fake Date reaches it.
pageStoreContract('memory', async () => ({
  store: new MemoryPageStore({ maxBytes: 8 * 1024 * 1024, now: () => Date.now() }),
  cleanup: async () => {},
}))

describe('MemoryPageStore options', () => {
  it.each([NaN, 0, -1, 1.5, '64mb', Infinity])('rejects maxBytes %s with a coded error (NaN never compares above the bytes held: the store grew without bound)', (maxBytes) => {
    expect(() => new MemoryPageStore({ maxBytes: maxBytes as number })).toThrow(
      expect.objectContaining({ code: 'CUTOVER_ERR_STORE_OPTIONS_INVALID', message: expect.stringContaining('maxBytes to be a whole number of bytes > 0') }),
    )
  })

  it('evicts down to maxBytes', async () => {
    const store = new MemoryPageStore({ maxBytes: 4096 })
    for (let i = 0; i < 10; i++) await store.set({ route: 'r', hash: `h${i}` }, makePage({ body: Buffer.alloc(1000) }))
    expect(store.size).toBeLessThanOrEqual(4096)
  })
})

describe('MemoryPageStore held tag states', () => {
  it('answers the same tags array with the same frozen object until a purge, then with the new states', async () => {
    const store = new MemoryPageStore()
    const tags = ['a', 'b']
    const first = store.tagStatesHeld(tags)
    expect(Object.isFrozen(first) && Object.isFrozen(first.a)).toBe(true)
    expect(store.tagStatesHeld(tags)).toBe(first)
    // Another array with the same names is its own question.
    expect(store.tagStatesHeld(['a', 'b'])).not.toBe(first)
    await store.purgeTags([], true)
    expect(store.tagStatesHeld(tags)).toBe(first)
    // A purge of a tag the array does not name also moves the answer on (one generation for the store).
    await store.purgeTags(['c'], false)
    const second = store.tagStatesHeld(tags)
    expect(second).not.toBe(first)
    expect(second).toEqual(first)
    await store.purgeTags(['b'], true)
    expect(store.tagStatesHeld(tags)).toEqual({ a: { version: 0, hard: 0 }, b: { version: 1, hard: 1 } })
    // tagStates() answers copies the caller may keep as its own.
    const copies = await store.tagStates(tags)
    expect(Object.isFrozen(copies) || Object.isFrozen(copies.a)).toBe(false)
  })
})
