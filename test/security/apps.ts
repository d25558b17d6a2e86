import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { afterEach } from 'vitest'
import cutover, { type CutoverOptions } from '../../src/plugin.js'
import { redisForTest } from '../helpers/redis.js'

/**
 * One backing store the security cases run against. Every case is written once
 * and run over `STORES` (`describe.each`), so a store added here gets the whole
 * suite: the in-memory store (the default without `redis`), the Redis store
 * and Redis with a memory layer in front, each under its own key prefix.
 */
export interface StoreUnderTest {
  name: string
  /** Plugin options that select this store; `cleanup` undoes whatever they opened. */
  open(): { options: CutoverOptions; cleanup(): Promise<void> }
}

export const STORES: StoreUnderTest[] = [
  { name: 'memory store', open: () => ({ options: {}, cleanup: async () => {} }) },
  {
    name: 'Redis store',
    open: () => {
      const r = redisForTest('security')
      // A generous timeout: on a loaded machine a slow Redis reply would turn a hit into a bypass.
      return { options: { redis: r.redis, prefix: r.prefix, timeout: 2000 }, cleanup: () => r.cleanup() }
    },
  },
  {
    name: 'Redis store with a memory layer',
    open: () => {
      const r = redisForTest('security')
      return { options: { redis: r.redis, prefix: r.prefix, memory: { maxBytes: 1 << 20 }, timeout: 2000 }, cleanup: () => r.cleanup() }
    },
  },
]

/** Builds apps for one store and closes them (and the store's resources) after each test. */
export function appsFor(store: StoreUnderTest): (
  routes: (app: FastifyInstance) => void,
  server?: FastifyServerOptions,
  plugin?: CutoverOptions,
) => Promise<FastifyInstance> {
  const open: Array<{ app: FastifyInstance; cleanup(): Promise<void> }> = []
  afterEach(async () => {
    for (const { app, cleanup } of open.splice(0)) {
      await app.close()
      await cleanup()
    }
  })
  return async (routes, server = {}, plugin = {}) => {
    const { options, cleanup } = store.open()
    const app = Fastify({ logger: false, ...server })
    open.push({ app, cleanup })
    await app.register(cutover, { ...options, ...plugin })
    routes(app)
    await app.ready()
    return app
  }
}

/** The RFC 9211 Cache-Status of a response, as a string ('' when absent). */
export const statusOf = (res: { headers: Record<string, unknown> }): string => String(res.headers['cache-status'] ?? '')
