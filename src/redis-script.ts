import { createHash } from 'node:crypto'
// The timer as Node made it: an app's tests with fake timers (which replace the global) must not hold its lookups.
import { setImmediate as atTurnEnd } from 'node:timers'
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

/**
 * The client as the queue's drivers, its control plane, the drainer and the
 * meter's reader use it: typed as ioredis 5's `Redis`, whose commands
 * (lists, hashes, pipelines, `duplicate`) an ioredis 6 client and a Cluster
 * have too (the queue's keys share a hash tag, see queue/keys.ts).
 */
export function asRedis(client: RedisInput): Redis {
  return client as Redis
}

/** Redis's answer to EVALSHA of a script it has not loaded (a restart, SCRIPT FLUSH, another Cluster node). */
function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT')
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
      if (!isNoScript(err)) throw err
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
      if (!isNoScript(err)) throw err
      return buffered.evalBuffer(this.source, keys.length, ...keys, ...args)
    }
  }
}

interface PendingScript {
  readonly script: RedisScript
  readonly keys: readonly string[]
  readonly args: ReadonlyArray<string | number>
  resolve(value: unknown): void
  reject(err: unknown): void
}

/** The socket of an ioredis client (`stream`), as ScriptBatch uses it. */
interface Corkable {
  cork(): void
  uncork(): void
}

/**
 * Runs scripts of one standalone client with bytes for replies (as
 * RedisScript.runBuffer), batched: the calls made in one event-loop turn are
 * sent at its end with the client's socket corked, so they leave in one
 * socket write instead of one each. Under load, the requests whose bytes
 * arrived in the same turn share one write (and mostly one read of the
 * replies); a lone call goes on its own. What ioredis's
 * `enableAutoPipelining` does for every command of a client, for cutover's
 * own lookups only, so the app's client is left as it was configured. Not
 * through an ioredis pipeline: under load each command sent in one made V8
 * move about 1.3 KB a lookup to the old generation (a full collection every
 * second or so, and a p99 of 7-9 ms where this way has 4-6 ms). Order on the
 * connection is the calls' order. Not on Cluster nor on a client already
 * auto-pipelining: there each call runs on its own.
 */
export class ScriptBatch {
  readonly #client: RedisClient
  readonly #batching: boolean
  #pending: PendingScript[] = []

  constructor(client: RedisClient) {
    this.#client = client
    const options = (client as { options?: { enableAutoPipelining?: unknown } }).options
    this.#batching = (client as { isCluster?: unknown }).isCluster !== true && options?.enableAutoPipelining !== true
  }

  runBuffer(script: RedisScript, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    if (!this.#batching) return script.runBuffer(this.#client, keys, args)
    return new Promise((resolve, reject) => {
      if (this.#pending.push({ script, keys, args, resolve, reject }) === 1) atTurnEnd(this.#flush)
    })
  }

  readonly #flush = (): void => {
    const batch = this.#pending
    this.#pending = []
    const socket = batch.length > 1 ? corkable((this.#client as { stream?: unknown }).stream) : undefined
    socket?.cork()
    // Each call is its own command (its own reply, its own NOSCRIPT fallback); corked, they leave together.
    for (const call of batch) {
      try {
        call.script.runBuffer(this.#client, call.keys, call.args).then(call.resolve, call.reject)
      } catch (err) {
        // Thrown outside any caller's stack (this runs from setImmediate): the call gets it instead.
        call.reject(err)
      }
    }
    socket?.uncork()
  }
}

function corkable(stream: unknown): Corkable | undefined {
  const s = stream as Partial<Corkable> | null | undefined
  return typeof s?.cork === 'function' && typeof s.uncork === 'function' ? (s as Corkable) : undefined
}
