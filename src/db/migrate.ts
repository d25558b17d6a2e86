import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import mysql from 'mysql2/promise'
import {
  CUTOVER_ERR_DB_LOCK_TIMEOUT,
  CUTOVER_ERR_DB_MIGRATION_CHANGED,
  CUTOVER_ERR_DB_MIGRATION_FAILED,
  CUTOVER_ERR_DB_MIGRATION_NAME,
} from '../errors.js'

/** The migrations shipped with the package (`migrations/` beside `src/` or `dist/`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

/** Ledger of applied migrations. */
export const LEDGER_TABLE = 'cutover_migrations'

export interface Migration {
  version: number
  /** File name, e.g. `0001_shadow.sql`. */
  name: string
  sql: string
  /** sha256 of the file's bytes. */
  checksum: string
}

export interface AppliedMigration {
  version: number
  name: string
  checksum: string
}

const NAME = /^(\d{4})_[a-z0-9_]+\.sql$/

/** Reads `NNNN_name.sql` files in order; the numbers must run 1, 2, 3 ... without gaps or repeats. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()
  return files.map((name, i) => {
    const m = NAME.exec(name)
    if (!m || Number(m[1]) !== i + 1) throw new CUTOVER_ERR_DB_MIGRATION_NAME(`"${name}" at position ${i + 1}`)
    const bytes = readFileSync(join(dir, name))
    return { version: i + 1, name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') }
  })
}

/**
 * Which migrations still need applying. Pure. Throws when an applied
 * migration's file changed or was renamed: migrations are append-only.
 */
export function pendingMigrations(files: readonly Migration[], applied: readonly AppliedMigration[]): Migration[] {
  const byVersion = new Map(files.map((f) => [f.version, f]))
  for (const a of applied) {
    const f = byVersion.get(a.version)
    if (!f) throw new CUTOVER_ERR_DB_MIGRATION_NAME(`applied migration ${a.name} is missing from the migrations directory`)
    if (f.checksum !== a.checksum || f.name !== a.name) throw new CUTOVER_ERR_DB_MIGRATION_CHANGED(f.name, a.checksum.slice(0, 12), f.checksum.slice(0, 12))
  }
  const done = new Set(applied.map((a) => a.version))
  return files.filter((f) => !done.has(f.version))
}

export interface MigrateOptions {
  /** mysql:// URL of the database to migrate. */
  url: string
  /** @default MIGRATIONS_DIR */
  dir?: string
  /**
   * Seconds to wait for another instance's migration lock.
   * @default 30
   */
  lockTimeoutS?: number
  log?: (line: string) => void
}

export interface MigrateResult {
  applied: string[]
  upToDate: string[]
}

/**
 * Applies pending migrations in order, each recorded in the ledger, under a
 * MySQL named lock (GET_LOCK) so two instances starting at once can't race.
 * MySQL commits DDL implicitly, so a migration is not atomic: one that fails
 * halfway is not recorded and needs fixing by hand (the error says which).
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const files = loadMigrations(options.dir ?? MIGRATIONS_DIR)
  const log = options.log ?? (() => {})
  const lockTimeoutS = options.lockTimeoutS ?? 30
  const conn = await mysql.createConnection({ uri: options.url, multipleStatements: true })
  try {
    const [[dbRow]] = await conn.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS db')
    const lock = `cutover:migrate:${createHash('sha1').update(String(dbRow?.db)).digest('hex').slice(0, 32)}`
    const [[got]] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [lock, lockTimeoutS])
    if (got?.ok !== 1) throw new CUTOVER_ERR_DB_LOCK_TIMEOUT(lock, lockTimeoutS)
    try {
      await conn.query(
        `CREATE TABLE IF NOT EXISTS ${LEDGER_TABLE} (
          version INT UNSIGNED NOT NULL PRIMARY KEY,
          name VARCHAR(255) NOT NULL,
          checksum CHAR(64) NOT NULL,
          applied_at DATETIME(3) NOT NULL
        ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4`,
      )
      const [rows] = await conn.query<mysql.RowDataPacket[]>(`SELECT version, name, checksum FROM ${LEDGER_TABLE} ORDER BY version`)
      const applied = rows.map((r) => ({ version: Number(r.version), name: String(r.name), checksum: String(r.checksum) }))
      const pending = pendingMigrations(files, applied)
      for (const m of pending) {
        log(`applying ${m.name}`)
        try {
          await conn.query(m.sql)
        } catch (err) {
          throw new CUTOVER_ERR_DB_MIGRATION_FAILED(m.name, (err as Error).message)
        }
        await conn.query(`INSERT INTO ${LEDGER_TABLE} (version, name, checksum, applied_at) VALUES (?, ?, ?, NOW(3))`, [m.version, m.name, m.checksum])
      }
      return { applied: pending.map((m) => m.name), upToDate: applied.map((a) => a.name) }
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lock])
    }
  } finally {
    await conn.end()
  }
}
