import type { Redis } from 'ioredis'
import type { Pool, RowDataPacket } from 'mysql2/promise'
import { demoKeys, type DemoKeys, type ListQuery } from './keys.js'
import { PAGE_SIZE } from './schema.js'

export interface Product {
  id: number
  categoryId: number
  name: string
  priceCents: number
  updatedAt: string
}

export interface ProductPage {
  page: number
  sort: string
  category?: number
  total: number
  items: Product[]
  /** When the page was rendered; only with the demo's `faults.generatedAt`. */
  generatedAt?: string
}

export const COLUMNS = 'id, category_id, name, price_cents, updated_at'
export const ORDER: Record<ListQuery['sort'], string> = {
  id: 'id ASC',
  price: 'price_cents ASC, id ASC',
  '-price': 'price_cents DESC, id ASC',
  name: 'name ASC, id ASC',
}
/** Object keys live an hour; the refresh jobs are what keeps them fresh. */
const OBJECT_TTL_SECONDS = 3600
/** A query's id list lives a minute. */
const QUERY_TTL_SECONDS = 60

export function productOf(row: RowDataPacket): Product {
  const updated = row.updated_at as Date | string
  return {
    id: Number(row.id),
    categoryId: Number(row.category_id),
    name: String(row.name),
    priceCents: Number(row.price_cents),
    updatedAt: updated instanceof Date ? updated.toISOString() : String(updated),
  }
}

/**
 * The legacy data access, as object-caching apps do it: a query-result key
 * holds a list's ids, one key per row holds the row; MySQL only on a miss.
 */
export class LegacyCatalog {
  readonly keys: DemoKeys

  constructor(
    private readonly pool: Pool,
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = demoKeys(prefix)
  }

  async list(query: ListQuery): Promise<ProductPage> {
    const cached = await this.redis.get(this.keys.query(query))
    const head = { page: query.page, sort: query.sort, ...(query.category !== undefined ? { category: query.category } : {}) }
    if (cached !== null) {
      const { ids, total } = JSON.parse(cached) as { ids: number[]; total: number }
      return { ...head, total, items: await this.objects(ids) }
    }
    const where = query.category !== undefined ? 'WHERE category_id = ?' : ''
    const args = query.category !== undefined ? [query.category] : []
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT ${COLUMNS} FROM products ${where} ORDER BY ${ORDER[query.sort]} LIMIT ${PAGE_SIZE} OFFSET ${(query.page - 1) * PAGE_SIZE}`,
      args,
    )
    const [[count]] = await this.pool.query<RowDataPacket[]>(`SELECT COUNT(*) AS n FROM products ${where}`, args)
    const items = rows.map(productOf)
    const total = Number(count?.n ?? 0)
    const write = this.redis.pipeline()
    for (const p of items) write.set(this.keys.product(p.id), JSON.stringify(p), 'EX', OBJECT_TTL_SECONDS)
    write.set(this.keys.query(query), JSON.stringify({ ids: items.map((p) => p.id), total }), 'EX', QUERY_TTL_SECONDS)
    await write.exec()
    return { ...head, total, items }
  }

  /** Reads rows through their object keys (one GET each), loading the missing ones from MySQL. */
  async objects(ids: number[]): Promise<Product[]> {
    const read = this.redis.pipeline()
    for (const id of ids) read.get(this.keys.product(id))
    const values = ((await read.exec()) ?? []).map(([, v]) => (typeof v === 'string' ? (JSON.parse(v) as Product) : undefined))
    const missing = ids.filter((_, i) => values[i] === undefined)
    if (missing.length > 0) {
      const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT ${COLUMNS} FROM products WHERE id IN (?)`, [missing])
      const loaded = new Map(rows.map((r) => [Number(r.id), productOf(r)]))
      const write = this.redis.pipeline()
      for (const p of loaded.values()) write.set(this.keys.product(p.id), JSON.stringify(p), 'EX', OBJECT_TTL_SECONDS)
      await write.exec()
      ids.forEach((id, i) => (values[i] ??= loaded.get(id)))
    }
    return values.filter((p): p is Product => p !== undefined)
  }

  async get(id: number): Promise<Product | undefined> {
    const [product] = await this.objects([id])
    return product
  }

  /** Updates a row in MySQL only (the legacy app leaves the object key to the refresh job). */
  async update(id: number, change: { name?: string | undefined; priceCents?: number | undefined }): Promise<boolean> {
    const sets: string[] = []
    const args: Array<string | number> = []
    if (change.name !== undefined) {
      sets.push('name = ?')
      args.push(change.name)
    }
    if (change.priceCents !== undefined) {
      sets.push('price_cents = ?')
      args.push(change.priceCents)
    }
    const [result] = await this.pool.execute(`UPDATE products SET ${sets.join(', ')}, updated_at = NOW(3) WHERE id = ?`, [...args, id])
    return (result as { affectedRows: number }).affectedRows > 0
  }

  /**
   * What a drainer does for a batch of jobs: one `SELECT ... WHERE id IN (...)`,
   * then every key rewritten (or deleted, for a row that is gone) in one pipeline.
   */
  async refreshMany(ids: ReadonlyArray<string | number>): Promise<void> {
    if (ids.length === 0) return
    const wanted = [...new Set(ids.map(Number))]
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT ${COLUMNS} FROM products WHERE id IN (?)`, [wanted])
    const found = new Map(rows.map((r) => [Number(r.id), productOf(r)]))
    const write = this.redis.pipeline()
    for (const id of wanted) {
      const product = found.get(id)
      if (product) write.set(this.keys.product(id), JSON.stringify(product), 'EX', OBJECT_TTL_SECONDS)
      else write.del(this.keys.product(id))
    }
    const results = (await write.exec()) ?? []
    const failed = results.find(([err]) => err)
    if (failed?.[0]) throw failed[0]
  }

  /** What the refresh worker does for one job: one `SELECT ... WHERE id = ?`, then rewrites the key. */
  async refresh(id: number): Promise<void> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(`SELECT ${COLUMNS} FROM products WHERE id = ?`, [id])
    const row = rows[0]
    if (row) await this.redis.set(this.keys.product(id), JSON.stringify(productOf(row)), 'EX', OBJECT_TTL_SECONDS)
    else await this.redis.del(this.keys.product(id))
  }
}
