import { createHash } from 'node:crypto'
import type mysql from 'mysql2/promise'
import type { NoiseEvidence, NoiseModel } from './noise-model.js'

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')

/** Loads stored noise evidence into the model (see migrations/0002_shadow_noise.sql). */
export async function loadNoise(pool: mysql.Pool, model: NoiseModel): Promise<number> {
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
