import type { Pool, PoolConnection } from 'mysql2/promise'
import type { Meter } from './meter.js'

const COUNTED = new Set<PropertyKey>(['query', 'execute'])

function countCalls<T extends object>(target: T, meter: Meter, extra?: (prop: PropertyKey, value: unknown) => unknown): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver)
      if (typeof value !== 'function') return value
      if (COUNTED.has(prop)) {
        return function (this: unknown, ...args: unknown[]) {
          meter.countQuery()
          return (value as (...a: unknown[]) => unknown).apply(obj, args)
        }
      }
      return extra ? extra(prop, value) : value
    },
  })
}

/**
 * A mysql2/promise pool that counts every `query`/`execute`, on the pool and
 * on connections taken with `getConnection()`, against the route in the
 * meter context (refresh reads inside a job). Call sites stay as they are.
 */
export function meterPool<P extends Pool>(pool: P, meter: Meter): P {
  return countCalls(pool, meter, (prop, value) => {
    if (prop !== 'getConnection') return value
    return async (): Promise<PoolConnection> => countCalls(await (value as () => Promise<PoolConnection>).call(pool), meter)
  })
}
