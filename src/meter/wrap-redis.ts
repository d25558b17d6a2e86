import type { Redis } from 'ioredis'
import type { Meter } from './meter.js'

/** Framing of a transaction, not work the app asked for. */
const FRAMING = new Set(['multi', 'exec'])

/**
 * An ioredis client that counts each command against the route in the meter
 * context. Pipelines and MULTI made from it count every command they carry
 * (they are built on this client, so each command passes its sendCommand).
 * The meter itself should write with a client that is not wrapped.
 */
export function meterRedis<R extends Redis>(redis: R, meter: Meter): R {
  return new Proxy(redis, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (prop !== 'sendCommand' || typeof value !== 'function') return value
      return function (this: unknown, command: { name?: string }, ...rest: unknown[]) {
        if (!FRAMING.has(String(command?.name).toLowerCase())) meter.countRedis(1)
        return (value as (...a: unknown[]) => unknown).call(target, command, ...rest)
      }
    },
  })
}
