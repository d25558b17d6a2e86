import type mysql from 'mysql2/promise'
import type { ShadowRecord } from './record.js'

const SAMPLE_COLUMNS = `route, at_ms, method, url, outcome, cause, error, candidate_source, page_age_ms,
  control_status, control_ms, control_db_calls, control_redis_calls,
  candidate_status, candidate_ms, candidate_db_calls, candidate_redis_calls, fresh_ms, fresh_db_calls,
  control_refresh_jobs, candidate_refresh_jobs, sample_rate, effective_rate`

/** One `shadow_samples` row's values, in SAMPLE_COLUMNS order. */
function sampleValues(r: ShadowRecord): unknown[] {
  return [
    r.route, r.at, r.method, r.url.slice(0, 2048), r.outcome, r.cause, r.error, r.candidateSource,
    r.pageAgeMs === null ? null : Math.round(r.pageAgeMs),
    r.control.status, r.control.durationMs, r.control.dbCalls, r.control.redisCalls,
    r.candidate?.status ?? null, r.candidate?.durationMs ?? null, r.candidate?.dbCalls ?? null, r.candidate?.redisCalls ?? null,
    r.fresh?.durationMs ?? null, r.fresh?.dbCalls ?? null,
    r.control.refreshJobs, r.candidate?.refreshJobs ?? null,
    r.sampling?.rate ?? null, r.sampling?.effectiveRate ?? null,
  ]
}

/**
 * Whether one multi-row INSERT gets consecutive AUTO_INCREMENT ids, first
 * one in insertId: true under InnoDB's "traditional" (0) and "consecutive"
 * (1, MariaDB's default) lock modes; "interleaved" (2, MySQL 8's default)
 * makes no such promise.
 */
export async function consecutiveInsertIds(conn: mysql.PoolConnection): Promise<boolean> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT @@innodb_autoinc_lock_mode AS mode')
  return Number(rows[0]?.mode) <= 1
}

/**
 * Inserts the samples and returns their ids, in order: one statement for the
 * whole batch where ids come out consecutive, else one per sample.
 */
export async function insertSamples(conn: mysql.PoolConnection, records: readonly ShadowRecord[], consecutive: boolean): Promise<number[]> {
  if (records.length === 0) return []
  if (consecutive) {
    const [res] = await conn.query<mysql.ResultSetHeader>(`INSERT INTO shadow_samples (${SAMPLE_COLUMNS}) VALUES ?`, [records.map(sampleValues)])
    return records.map((_, i) => res.insertId + i)
  }
  const ids: number[] = []
  for (const r of records) {
    const [res] = await conn.query<mysql.ResultSetHeader>(`INSERT INTO shadow_samples (${SAMPLE_COLUMNS}) VALUES (?)`, [sampleValues(r)])
    ids.push(res.insertId)
  }
  return ids
}
