// Page-store read throughput: `npx tsx test/bench/stores.ts` (needs Redis, REDIS_URL).
// Each figure is printed with its ratio to the baseline measured in the same run:
// a raw ioredis GET of an equally large value, the floor any Redis driver pays.
import { Redis } from 'ioredis'
import { MemoryPageStore } from '../../src/pagecache/memory-store.js'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { PageKey, PageStore, StoredPage } from '../../src/pagecache/store.js'
import { TieredPageStore } from '../../src/pagecache/tiered-store.js'
import { REDIS_URL, uniqueSuffix } from '../helpers/services.js'

const DURATION_MS = Number(process.env.BENCH_MS ?? 1000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const CONCURRENCY = 16

async function measure(op: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 200; i++) await op()
  let done = 0
  const end = performance.now() + DURATION_MS
  const started = performance.now()
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await op()
        done++
      }
    }),
  )
  return done / ((performance.now() - started) / 1000)
}

const body = Buffer.from(JSON.stringify(Array.from({ length: 170 }, (_, i) => ({ id: i, name: `product ${i}`, price: i * 1.25, tags: ['a', 'b'] }))))
const now = Date.now()
const page: StoredPage = {
  kind: 'page',
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body,
  etag: '"bench"',
  storedAt: now,
  staleAt: now + 3_600_000,
  deleteAt: now + 3_600_000,
  tags: { '@route:bench': 0, products: 0 },
  renderMs: 5,
}
const key: PageKey = { route: 'bench', hash: 'ab12cd34' }
const prefix = `cutover-bench-${uniqueSuffix()}`
const redis = new Redis(REDIS_URL)

/** A store read with get(), then its tags' states: how a hit read before getOrLease answered tag states. */
const hit = (store: PageStore) => async () => {
  const entry = await store.get(key)
  if (entry?.kind !== 'page') throw new Error(`${store.name}: no page`)
  await store.tagStates(Object.keys(entry.tags))
}

let tokens = 0
/** A store read as the plugin reads it on a hit of a GET: getOrLease, then the tags' states unless it gave them. */
const lookup = (store: PageStore) => async () => {
  const found = await store.getOrLease!(key, 5000, `bench-${++tokens}`)
  if (found.entry?.kind !== 'page') throw new Error(`${store.name}: no page`)
  if (found.tagStates === undefined) await store.tagStates(Object.keys(found.entry.tags))
}

try {
  const plain = new RedisPageStore({ redis, prefix: `${prefix}-plain`, compressAbove: 1 << 30 })
  const packed = new RedisPageStore({ redis, prefix: `${prefix}-packed` })
  const tiered = new TieredPageStore({ redis, prefix: `${prefix}-tiered` })
  const memory = new MemoryPageStore()
  await tiered.ready()
  for (const store of [plain, packed, tiered, memory]) await store.set(key, page)
  const rawKey = `${prefix}-raw`
  await redis.set(rawKey, Buffer.alloc(body.length + 300, 1))

  const cases: Array<[string, () => Promise<unknown>]> = [
    ['raw ioredis GET (baseline)', () => redis.getBuffer(rawKey)],
    ['redis store hit, body stored as is', hit(plain)],
    ['redis store hit, body brotli (compressAbove 8192)', hit(packed)],
    ['redis store getOrLease hit, body stored as is', lookup(plain)],
    ['redis store getOrLease hit, body brotli', lookup(packed)],
    ['tiered store hit (memory layer)', hit(tiered)],
    ['memory store hit', hit(memory)],
  ]
  // Rounds interleave the cases so a noisy neighbour hits them alike; medians are printed.
  const rates = new Map<string, number[]>(cases.map(([name]) => [name, []]))
  for (let round = 0; round < ROUNDS; round++) for (const [name, op] of cases) rates.get(name)?.push(await measure(op))
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0
  const base = median(rates.get(cases[0]?.[0] ?? '') ?? [])
  console.log(`page body ${body.length} bytes, ${CONCURRENCY} concurrent readers, median of ${ROUNDS} rounds of ${DURATION_MS} ms`)
  for (const [name] of cases) {
    const rate = median(rates.get(name) ?? [])
    console.log(`${name.padEnd(52)} ${Math.round(rate).toString().padStart(8)} ops/s  ${(rate / base).toFixed(2)}x`)
  }
  await tiered.close()
} finally {
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
}
