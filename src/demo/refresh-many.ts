import type { Redis } from 'ioredis'
import type { Pool } from 'mysql2/promise'
import type { RefreshMany } from '../queue/drain-options.js'
import { LegacyCatalog } from './catalog.js'

export interface DemoRefreshOptions {
  /** The demo's database (wrap it with meterPool so the drain's reads are counted). */
  pool: Pool
  /** Redis holding the object keys. */
  redis: Redis
  /** Prefix of the object-cache keys, as the app's. */
  prefix: string
}

/** Thrown for a job of a table the demo has no refresher for (the drainer dead-letters it after its retries). */
export class UnknownTableError extends Error {}

/**
 * The demo app's `refreshMany` for the drainer: products only, one
 * `SELECT ... WHERE id IN (...)` per batch and the object keys rewritten in
 * one pipeline (the legacy worker does one SELECT and one SET per job).
 */
export function demoRefreshMany(options: DemoRefreshOptions): RefreshMany {
  const catalog = new LegacyCatalog(options.pool, options.redis, options.prefix)
  return async (table, ids) => {
    if (table !== 'products') throw new UnknownTableError(`the demo refreshes only products, got a job for "${table}"`)
    await catalog.refreshMany(ids)
  }
}
