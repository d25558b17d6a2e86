import type { Pool, RowDataPacket } from 'mysql2/promise'

export const DEMO_PRODUCTS = 10_000
export const DEMO_CATEGORIES = 20
export const PAGE_SIZE = 100

const TABLES = [
  `CREATE TABLE IF NOT EXISTS categories (
    id INT UNSIGNED NOT NULL PRIMARY KEY,
    name VARCHAR(64) NOT NULL
  ) ENGINE=InnoDB`,
  `CREATE TABLE IF NOT EXISTS products (
    id INT UNSIGNED NOT NULL PRIMARY KEY,
    category_id INT UNSIGNED NOT NULL,
    name VARCHAR(128) NOT NULL,
    price_cents INT UNSIGNED NOT NULL,
    updated_at DATETIME(3) NOT NULL,
    KEY by_category (category_id, id),
    KEY by_price (price_cents, id),
    KEY by_name (name, id)
  ) ENGINE=InnoDB`,
]

const ADJECTIVES = ['Sturdy', 'Compact', 'Deluxe', 'Classic', 'Smart', 'Quiet', 'Rapid', 'Eco', 'Pocket', 'Grand']
const NOUNS = ['Kettle', 'Lamp', 'Chair', 'Backpack', 'Headphones', 'Blender', 'Desk', 'Camera', 'Jacket', 'Router', 'Mug', 'Drill']

/** The seeded row for `id` (deterministic, so seeding twice gives the same data). */
export function seedProduct(id: number): [number, number, string, number, string] {
  const name = `${ADJECTIVES[id % ADJECTIVES.length]} ${NOUNS[(id * 7) % NOUNS.length]} ${id}`
  const priceCents = 199 + ((id * 7919) % 49_800)
  return [id, (id % DEMO_CATEGORIES) + 1, name, priceCents, '2025-01-01 00:00:00.000']
}

/** Creates the demo's tables if absent. */
export async function ensureDemoSchema(pool: Pool): Promise<void> {
  for (const sql of TABLES) await pool.query(sql)
}

/**
 * Seeds categories and `products` products, adding only rows that are
 * missing (rows changed through the API keep their changes). Resolves to the
 * number of products in the table afterwards.
 */
export async function seedDemoData(pool: Pool, products = DEMO_PRODUCTS): Promise<number> {
  await ensureDemoSchema(pool)
  const categories = Array.from({ length: DEMO_CATEGORIES }, (_, i) => [i + 1, `Category ${i + 1}`])
  await pool.query('INSERT IGNORE INTO categories (id, name) VALUES ?', [categories])
  const [[existing]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS max FROM products')
  if (Number(existing?.n) < products) {
    for (let start = 1; start <= products; start += 1000) {
      const rows = Array.from({ length: Math.min(1000, products - start + 1) }, (_, i) => seedProduct(start + i))
      await pool.query('INSERT IGNORE INTO products (id, category_id, name, price_cents, updated_at) VALUES ?', [rows])
    }
  }
  const [[after]] = await pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM products')
  return Number(after?.n)
}
