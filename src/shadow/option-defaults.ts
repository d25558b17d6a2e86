/**
 * The options with every one left out (undefined) taken from `defaults`, as one
 * frozen object; keys `defaults` doesn't have are not carried over.
 */
export function withDefaults<T extends object>(defaults: Readonly<Required<T>>, options: T): Readonly<Required<T>> {
  const merged = { ...defaults } as Required<T>
  for (const key of Object.keys(defaults) as Array<keyof T>) merged[key] = options[key] ?? defaults[key]
  return Object.freeze(merged)
}
