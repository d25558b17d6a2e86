import type { Redis } from 'ioredis'
import type { Meter } from './meter.js'

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

/**
 * An ioredis client that counts each command against the route in the meter
 * context. Pipelines and MULTI made from it count every command they carry
 * (they are built on this client, so each command passes its sendCommand).
 * The meter itself should write with a client that is not wrapped.
 */
export function meterRedis<R extends Redis>(redis: R, meter: Meter): R {
  // One counting wrapper, made again only if the client's sendCommand is replaced: a
  // pipeline of 100 commands reads sendCommand 100 times, and a closure each time added up.
  let wrappedSend: SendCommand | undefined
  let wrappedFor: unknown
  return new Proxy(redis, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (prop !== 'sendCommand' || typeof value !== 'function') return value
      if (value !== wrappedFor) {
        wrappedFor = value
        wrappedSend = countingSend(value as SendCommand, target, meter)
      }
      return wrappedSend
    },
  })
}
