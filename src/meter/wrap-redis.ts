import type { RedisInput } from '../redis-script.js'
import type { Meter } from './meter.js'

type Method = (this: unknown, ...args: unknown[]) => unknown
type SendCommand = (command: { name?: unknown }, stream?: unknown, node?: unknown) => unknown

/** Framing of a transaction (`multi`, `exec`, in any case), not work the app asked for. */
export function isFraming(name: unknown): boolean {
  if (typeof name !== 'string') return false
  if (name.length === 4) return name === 'exec' || name.toLowerCase() === 'exec'
  return name.length === 5 && (name === 'multi' || name.toLowerCase() === 'multi')
}

/** `send` run on `client`, counting each command it is given. */
function countingSend(send: SendCommand, client: object, meter: Meter): SendCommand {
  // Parameters spelled out (Redis's sendCommand takes two, Cluster's three): no rest array per command.
  return function (command, stream, node) {
    if (!isFraming(command?.name)) meter.countRedis(1)
    return send.call(client, command, stream, node)
  }
}

interface QueuedBatch {
  exec: Method
  execBuffer?: Method
  length?: unknown
  _queue?: unknown
}

const isBatch = (made: unknown): made is QueuedBatch =>
  typeof made === 'object' && made !== null && typeof (made as QueuedBatch).exec === 'function' && typeof (made as QueuedBatch).length === 'number'

/** The commands a pipeline or MULTI carries, without the transaction's framing. */
export function carriedCommands(batch: { length?: unknown; _queue?: unknown }): number {
  const queue = batch._queue
  if (!Array.isArray(queue)) return typeof batch.length === 'number' ? batch.length : 0
  let n = 0
  for (const command of queue as Array<{ name?: unknown } | undefined>) if (!isFraming(command?.name)) n++
  return n
}

/** Counts what `batch` carries when it is sent (once: ioredis's own retries go through exec again). */
function countOnExec(batch: QueuedBatch, meter: Meter): void {
  let counted = false
  for (const method of ['exec', 'execBuffer'] as const) {
    const send = batch[method]
    if (typeof send !== 'function') continue
    batch[method] = function (this: unknown, ...args: unknown[]) {
      if (!counted) {
        counted = true
        meter.countRedis(carriedCommands(batch))
      }
      return send.apply(this, args)
    }
  }
}

/**
 * `make` (the client's `pipeline` or `multi`) run on the client itself, not
 * on the proxy: the pipeline then sends its commands straight to the client
 * (no proxy trap and no count per command) and counts them all at once, in
 * the context `exec()` is called in.
 */
function countingBatch(make: Method, client: object, meter: Meter): Method {
  return function (...args) {
    const made = make.apply(client, args)
    if (isBatch(made)) countOnExec(made, meter)
    return made
  }
}

const WRAPPED = new Set<PropertyKey>(['sendCommand', 'pipeline', 'multi'])

/**
 * An ioredis client (5 or 6, standalone or Cluster) that counts each command
 * against the route in the meter context. Pipelines and MULTI made from it
 * count every command they carry (but the transaction's MULTI and EXEC), when
 * `exec()` is called. The meter itself should write with a client that is
 * not wrapped.
 */
export function meterRedis<R extends RedisInput>(redis: R, meter: Meter): R {
  // One counting wrapper per method, made again only if the client's own is replaced: a
  // wrapper made per read added a closure per command.
  const wrappers = new Map<PropertyKey, { of: unknown; wrapped: unknown }>()
  return new Proxy(redis, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (typeof value !== 'function' || !WRAPPED.has(prop)) return value
      const known = wrappers.get(prop)
      if (known?.of === value) return known.wrapped
      const wrapped = prop === 'sendCommand' ? countingSend(value as SendCommand, target, meter) : countingBatch(value as Method, target, meter)
      wrappers.set(prop, { of: value, wrapped })
      return wrapped
    },
  })
}
