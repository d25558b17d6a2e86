import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/** A standalone ioredis client or an ioredis Cluster. */
export type RedisClient = Redis | Cluster

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server (or, on
 * Cluster, the node owning the key) has not seen it yet. Unlike
 * `defineCommand` this leaves the caller's client untouched. Every script of
 * cutover (page cache, queue, meter) runs through this one class.
 */
export class RedisScript {
  readonly sha: string

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex')
  }

  async run(client: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return client.eval(this.source, keys.length, ...keys, ...args)
    }
  }
}
