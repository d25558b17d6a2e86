import { createHash } from 'node:crypto'
import type { Cluster, Redis } from 'ioredis'

/** A standalone ioredis client or an ioredis Cluster. */
export type RedisClient = Redis | Cluster

/**
 * An ioredis client as an app hands it over: ioredis 5 or 6, standalone or
 * Cluster. The two majors' classes can't be assigned to each other (their
 * connectors have protected members), so options take this structural type;
 * what cutover calls is the same in both (checked at run time by the
 * options, tested against both).
 */
export interface IoredisLike {
  readonly status: string
  sendCommand(...args: never[]): unknown
  evalsha(...args: never[]): unknown
  duplicate(...args: never[]): unknown
}

/** Any ioredis client an option accepts. */
export type RedisInput = RedisClient | IoredisLike

/** The client as cutover's code uses it (the API it calls is the same in ioredis 5 and 6). */
export function asRedisClient(client: RedisInput): RedisClient {
  return client as RedisClient
}

/** The byte-replying forms of EVALSHA and EVAL every ioredis client has (ioredis's types leave them out). */
interface BufferScripting {
  evalshaBuffer(sha: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>
  evalBuffer(source: string, numkeys: number, ...args: Array<string | number>): Promise<unknown>
}

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

  /**
   * As run(), with bulk replies as bytes (a script that returns binary values).
   * Through the commands' `...Buffer` methods, not `callBuffer`: on a client
   * with `enableAutoPipelining`, ioredis 5 and 6 send a `callBuffer` without
   * its command name (or throw outside any promise when the arguments are an array).
   */
  async runBuffer(client: RedisClient, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    const buffered = client as unknown as BufferScripting
    try {
      return await buffered.evalshaBuffer(this.sha, keys.length, ...keys, ...args)
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err
      return buffered.evalBuffer(this.source, keys.length, ...keys, ...args)
    }
  }
}
