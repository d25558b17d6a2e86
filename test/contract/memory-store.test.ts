import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { pageStoreContract } from './page-store.contract.js'

// The clock reads Date.now at each call so the suite's fake Date reaches it.
pageStoreContract('memory', async () => ({
  store: new MemoryPageStore({ maxBytes: 8 * 1024 * 1024, now: () => Date.now() }),
  cleanup: async () => {},
}))
