import type { Pool, RowDataPacket } from 'mysql2/promise'
import { COLUMNS, ORDER, productOf, type Product, type ProductPage } from './catalog.js'
import type { ListQuery } from './keys.js'
import { PAGE_SIZE } from './schema.js'

/**
 * The cut-over data access of the read routes' page handlers: MySQL only, no
 * object cache and no refresh jobs (the page cache in front is the cache).
 * Answers exactly what LegacyCatalog answers for the same rows.
 */
export class PageCatalog {
  constructor(private readonly pool: Pool) {}

  /** One query per page: the count and the page's rows joined (a page past the end still carries the total). */
  async list(query: ListQuery): Promise<ProductPage> {
    const where = query.category !== undefined ? 'WHERE category_id = ?' : ''
    const args = query.category !== undefined ? [query.category, query.category] : []
    const [rows] = await this.pool.query<RowDataPacket[]>(
      `SELECT c.total, p.* FROM (SELECT COUNT(*) AS total FROM products ${where}) c
       LEFT JOIN (SELECT ${COLUMNS} FROM products ${where} ORDER BY ${ORDER[query.sort]} LIMIT ${PAGE_SIZE} OFFSET ${(query.page - 1) * PAGE_SIZE}) p
       ON 1 = 1 ORDER BY ${ORDER[query.sort]}`,
      args,
    )
    const head = { page: query.page, sort: query.sort, ...(query.category !== undefined ? { category: query.category } : {}) }
    const items = rows.filter((r) => r.id !== null).map(productOf)
    return { ...head, total: Number(rows[0]?.total ?? 0), items }
  }

  async get(id: number): Promise<Product | undefined> {
    const [rows] = await this.pool.execute<RowDataPacket[]>(`SELECT ${COLUMNS} FROM products WHERE id = ?`, [id])
    const row = rows[0]
    return row ? productOf(row) : undefined
  }
}
