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
