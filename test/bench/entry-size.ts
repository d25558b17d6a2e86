// Time to read a large page back from Redis: `npx tsx test/bench/entry-size.ts`
// (needs Redis, REDIS_URL). Prints, per body size and kind, the median of a few
// reads of RedisPageStore.get (the Redis GET plus the envelope decode, brotli
// included) and the same per MiB, beside a raw GET of the stored value (the
// transfer alone). The read budget behind RedisPageStore's default maxBodyBytes
// (see docs/stores.md, "Large pages") comes from these figures.
import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import { RedisPageStore } from '../../src/pagecache/redis-store.js'
import type { PageKey, StoredPage } from '../../src/pagecache/store.js'
import { REDIS_URL, uniqueSuffix } from '../helpers/services.js'

const MIB = 1024 * 1024
const SIZES_MIB = (process.env.BENCH_SIZES ?? '1,4,8,16').split(',').map(Number)
const READS = Number(process.env.BENCH_READS ?? 7)

/** JSON like an API list page: compresses about 10:1 with brotli quality 4. */
function jsonBody(bytes: number): Buffer {
  const rows: string[] = []
  let size = 2
  for (let i = 0; size < bytes; i++) {
    const row = JSON.stringify({ id: i, name: `product ${i}`, price: (i * 1.25).toFixed(2), stock: (i * 7919) % 1000, tags: ['a', 'b'] })
    rows.push(row)
    size += row.length + 1
  }
  return Buffer.from(`[${rows.join(',')}]`).subarray(0, bytes)
}

function pageOf(body: Buffer): StoredPage {
  const now = Date.now()
  return {
    kind: 'page', status: 200, headers: { 'content-type': 'application/json' }, body, etag: '"bench"',
    storedAt: now, staleAt: now + 600_000, deleteAt: now + 600_000, tags: { '@route:bench': 0 }, renderMs: 5,
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function timed(op: () => Promise<unknown>): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < READS; i++) {
    const started = performance.now()
    await op()
    samples.push(performance.now() - started)
  }
  return median(samples)
}

const redis = new Redis(REDIS_URL)
const prefix = `cutover-bench-size-${uniqueSuffix()}`
const store = new RedisPageStore({ redis, prefix, maxBodyBytes: 64 * MIB })
const key: PageKey = { route: 'bench', hash: 'size' }
try {
  console.log('| body | stored bytes | raw GET ms | get() ms | get() ms per MiB |')
  console.log('| --- | ---: | ---: | ---: | ---: |')
  for (const mib of SIZES_MIB) {
    for (const [kind, body] of [['json', jsonBody(mib * MIB)], ['random', randomBytes(mib * MIB)]] as const) {
      await store.set(key, pageOf(body))
      const stored = (await redis.strlen(store.keys.page(key))) as number
      const raw = await timed(() => redis.getBuffer(store.keys.page(key)))
      const read = await timed(() => store.get(key))
      console.log(`| ${mib} MiB ${kind} | ${stored} | ${raw.toFixed(1)} | ${read.toFixed(1)} | ${(read / mib).toFixed(2)} |`)
    }
  }
} finally {
  await redis.del(store.keys.page(key))
  redis.disconnect()
}
