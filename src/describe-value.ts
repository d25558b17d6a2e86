import { inspect } from 'node:util'

/**
 * A value as an error message shows it after "got": JSON where JSON says what
 * the value is (`"30s"`, `[200,"404"]`, `{"a":1}`), and Node's inspect form
 * where JSON would lie or throw: `NaN` and `Infinity` (JSON writes `null`),
 * `undefined` inside an array, bigints and cyclic objects (JSON throws, which
 * would replace the coded error with an uncoded TypeError), symbols, class
 * instances. Every validation message in cutover goes through this one helper.
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'function') return 'a function'
  if (value === undefined) return 'undefined'
  if (isPlainJson(value, new Set())) return JSON.stringify(value)
  return inspect(value, { depth: 3, breakLength: Infinity, maxArrayLength: 20, maxStringLength: 200 })
}

/** True when JSON.stringify gives back exactly this value: no non-finite numbers, holes, functions, cycles or class instances. */
function isPlainJson(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true
    case 'number':
      return Number.isFinite(value)
    case 'object':
      break
    default:
      return false
  }
  if (value === null) return true
  if (seen.has(value)) return false
  seen.add(value)
  if (Array.isArray(value)) {
    // A hole or undefined inside an array is written as null by JSON.
    for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJson(value[i], seen)) return false
    return true
  }
  const proto = Object.getPrototypeOf(value) as unknown
  if (proto !== Object.prototype && proto !== null) return false
  if (Object.getOwnPropertySymbols(value).length > 0) return false
  return Object.values(value).every((v) => isPlainJson(v, seen))
}
