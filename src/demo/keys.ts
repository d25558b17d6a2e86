import { createHash } from 'node:crypto'

/** The legacy app's object-cache keys: one per product row, one per list query. */
export interface DemoKeys {
  product(id: number): string
  query(query: ListQuery): string
  /** Pattern matching every key of the object cache (SCAN). */
  all(): string
}

export interface ListQuery {
  page: number
  sort: ProductSort
  category?: number | undefined
}

export const PRODUCT_SORTS = ['id', 'price', '-price', 'name'] as const
export type ProductSort = (typeof PRODUCT_SORTS)[number]

export function demoKeys(prefix: string): DemoKeys {
  const base = `${prefix}:v1:demo`
  return {
    product: (id) => `${base}:product:${id}`,
    query: (q) => `${base}:query:${createHash('sha1').update(`${q.category ?? '*'}|${q.sort}|${q.page}`).digest('hex')}`,
    all: () => `${base}:*`,
  }
}
