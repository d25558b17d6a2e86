import type { Redis } from 'ioredis'
import { cutover, type CutoverOptions } from '../plugin.js'
import type { DemoPageCache } from './app.js'

export interface DemoPageCacheOptions {
  /** Redis for the shared page store (a metered client counts the cache's commands too). */
  redis: Redis
  /** Prefix of the page cache's keys. */
  prefix: string
  /**
   * Keep hot pages in process memory in front of Redis (dropped everywhere on invalidation).
   * @default true
   */
  memory?: boolean
  /** More plugin options: where route modes come from and the shadow handler. @default none (every route on) */
  plugin?: DemoPluginOptions
}

/** The plugin options a demo run may add to the page cache's own. */
export type DemoPluginOptions = Pick<CutoverOptions, 'flags' | 'shadow' | 'shadowLimits' | 'identify' | 'timeout'>

/** The cutover page cache for the demo's read routes (their `config.cutover` says how). */
export function demoPageCache(options: DemoPageCacheOptions): DemoPageCache {
  return {
    async register(app) {
      await app.register(cutover, {
        redis: options.redis,
        prefix: options.prefix,
        ...((options.memory ?? true) ? { memory: { maxTtl: 5 } } : {}),
        ...options.plugin,
      })
    },
    async invalidate(app, tags) {
      // Hard: a changed price must not be served even stale.
      await app.cutover.invalidate({ tags, hard: true })
    },
  }
}
