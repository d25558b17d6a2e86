import { createHash } from 'node:crypto'
import type mysql from 'mysql2/promise'
import { CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE } from '../errors.js'
import type { NoiseEvidence, NoiseModel } from './noise-model.js'

/** How errors about the shadow database name where its URL came from. */
export const SHADOW_DATABASE_OPTION = 'the url given to createShadowPool, such as CUTOVER_MYSQL_URL'

/** Tables the shadow writer and the noise model use (migrations 0001, 0002). */
const SHADOW_TABLES = ['shadow_samples', 'shadow_diffs', 'shadow_examples', 'shadow_daily', 'shadow_noise']

/** What a MySQL error means for whoever set the URL. */
function unusable(err: { code?: string; message?: string }): string {
  switch (err.code) {
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return `${err.message} (check the user and password in the URL)`
    case 'ER_BAD_DB_ERROR':
      return `${err.message} (create it, then run cutover db migrate --db <url>)`
    case 'ER_NO_SUCH_TABLE':
      return `${err.message} (run cutover db migrate --db <url>)`
    case 'ECONNREFUSED':
    case 'ENOTFOUND':
    case 'ETIMEDOUT':
      return `nothing answers at the URL's host and port (${err.code})`
    default:
      return err.message ?? String(err)
  }
}

/**
 * Checks, when the shadow engine starts, that the shadow database can be
 * reached with the URL's credentials and holds the shadow tables, so a
 * wrong or missing URL fails there with a coded error naming the option,
 * not later inside a query.
 */
export async function checkShadowDatabase(pool: mysql.Pool): Promise<void> {
  try {
    for (const table of SHADOW_TABLES) await pool.query(`SELECT 1 FROM ${table} LIMIT 0`)
  } catch (err) {
    throw new CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE(SHADOW_DATABASE_OPTION, unusable(err as { code?: string; message?: string }))
  }
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

/** Loads stored noise evidence into the model (see migrations/0002_shadow_noise.sql). */
export async function loadNoise(pool: mysql.Pool, model: NoiseModel): Promise<number> {
  // Usually the first query at start-up: a bad URL is told apart here.
  await checkShadowDatabase(pool)
  const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT route, shape, noisy, quiet, at_ms FROM shadow_noise')
  const snapshot: Record<string, Record<string, NoiseEvidence>> = {}
  for (const r of rows) {
    const route = String(r.route)
    ;(snapshot[route] ??= {})[String(r.shape)] = { noisy: Number(r.noisy), quiet: Number(r.quiet), at: Number(r.at_ms) }
  }
  model.restore(snapshot)
  return rows.length
}

/**
 * Stores the model's evidence; a stored row newer than this instance's is
 * kept (two instances learning at once converge on the latest update).
 */
export async function saveNoise(pool: mysql.Pool, model: NoiseModel): Promise<number> {
  const rows: unknown[][] = []
  for (const [route, shapes] of Object.entries(model.snapshot())) {
    for (const [shape, e] of Object.entries(shapes)) rows.push([route, sha1(shape), shape.slice(0, 512), e.noisy, e.quiet, Math.round(e.at)])
  }
  for (let i = 0; i < rows.length; i += 500) {
    await pool.query(
      `INSERT INTO shadow_noise (route, shape_hash, shape, noisy, quiet, at_ms) VALUES ?
       ON DUPLICATE KEY UPDATE
         noisy = IF(VALUES(at_ms) >= at_ms, VALUES(noisy), noisy),
         quiet = IF(VALUES(at_ms) >= at_ms, VALUES(quiet), quiet),
         at_ms = GREATEST(at_ms, VALUES(at_ms))`,
      [rows.slice(i, i + 500)],
    )
  }
  return rows.length
}
