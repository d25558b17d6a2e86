/**
 * Every Redis key the meter writes. The `{meter}` hash tag keeps a prefix's
 * meter keys in one Redis Cluster slot, so one script can touch several.
 */
export interface MeterKeys {
  /** Hash of counters for one time bucket starting at `startSec` (epoch seconds). */
  bucket(bucketSeconds: number, startSec: number): string
  /** Hash route -> refresh jobs enqueued but not yet run (a live gauge, not windowed). */
  backlog(): string
}

export function meterKeys(prefix: string): MeterKeys {
  const base = `${prefix}:v1:meter:{meter}`
  return {
    bucket: (bucketSeconds, startSec) => `${base}:b${bucketSeconds}:${startSec}`,
    backlog: () => `${base}:backlog`,
  }
}

/** Who a counter belongs to: user traffic, shadow renders, or a queue. */
export type CounterScope = 'user' | 'shadow' | 'queue'

const SCOPE_CODE: Record<CounterScope, string> = { user: 'u', shadow: 's', queue: 'q' }
const CODE_SCOPE: Record<string, CounterScope> = { u: 'user', s: 'shadow', q: 'queue' }

/**
 * A hash field is `<scope>|<route>|<counter>`. Scope and counter never contain
 * `|`, so a route may: it is everything between the first and the last `|`.
 */
export function counterField(scope: CounterScope, route: string, counter: string): string {
  return `${SCOPE_CODE[scope]}|${route}|${counter}`
}

export function parseCounterField(field: string): { scope: CounterScope; route: string; counter: string } | undefined {
  const first = field.indexOf('|')
  const last = field.lastIndexOf('|')
  if (first < 0 || last <= first) return undefined
  const scope = CODE_SCOPE[field.slice(0, first)]
  if (!scope) return undefined
  return { scope, route: field.slice(first + 1, last), counter: field.slice(last + 1) }
}
