import type mysql from 'mysql2/promise'
import type { Cause } from '../shadow/classify.js'
import type { DiffCountRow, ExampleRow, SampleRow } from './shadow-model.js'

export interface ShadowFilter {
  /** Only these route ids (all when empty or absent). */
  routes?: readonly string[]
  /** Epoch ms, inclusive. */
  from?: number | null
  /** Epoch ms, exclusive. */
  to?: number | null
}

function where(f: ShadowFilter): { sql: string; args: unknown[] } {
  const parts: string[] = []
  const args: unknown[] = []
  if (f.routes && f.routes.length > 0) {
    parts.push(`route IN (${f.routes.map(() => '?').join(', ')})`)
    args.push(...f.routes)
  }
  if (f.from != null) {
    parts.push('at_ms >= ?')
    args.push(f.from)
  }
  if (f.to != null) {
    parts.push('at_ms < ?')
    args.push(f.to)
  }
  return { sql: parts.length > 0 ? 'WHERE ' + parts.join(' AND ') : '', args }
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v))

/** Reads what a shadow report needs for the filter. */
export async function loadShadowData(
  pool: mysql.Pool,
  filter: ShadowFilter,
): Promise<{ samples: SampleRow[]; diffs: DiffCountRow[]; examples: ExampleRow[] }> {
  const w = where(filter)
  const [samples] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT route, outcome, cause, page_age_ms, control_ms, candidate_ms, control_db_calls, candidate_db_calls,
      control_refresh_jobs, candidate_refresh_jobs, sample_rate, effective_rate,
      EXISTS (SELECT 1 FROM shadow_diffs d WHERE d.sample_id = shadow_samples.id AND d.cause = 'staleness') AS stale
      FROM shadow_samples ${w.sql}`,
    w.args,
  )
  const [diffs] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT route, shape, cause, ignored_reason, COUNT(DISTINCT sample_id) AS samples FROM shadow_diffs ${w.sql}
     GROUP BY route, shape, cause, ignored_reason`,
    w.args,
  )
  const [examples] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT route, shape, cause, at_ms, method, url, headers, patch, page_age_ms FROM shadow_examples ${w.sql} ORDER BY at_ms DESC LIMIT 2000`,
    w.args,
  )
  return {
    samples: samples.map((r) => ({
      route: String(r.route),
      outcome: r.outcome as SampleRow['outcome'],
      cause: (r.cause ?? null) as Cause | null,
      pageAgeMs: num(r.page_age_ms),
      controlMs: Number(r.control_ms),
      candidateMs: num(r.candidate_ms),
      controlDbCalls: num(r.control_db_calls),
      candidateDbCalls: num(r.candidate_db_calls),
      controlRefreshJobs: num(r.control_refresh_jobs),
      candidateRefreshJobs: num(r.candidate_refresh_jobs),
      sampleRate: num(r.sample_rate),
      effectiveRate: num(r.effective_rate),
      stale: Number(r.stale) === 1,
    })),
    diffs: diffs.map((r) => ({
      route: String(r.route),
      shape: String(r.shape),
      cause: (r.cause ?? null) as Cause | null,
      ignoredReason: r.ignored_reason === null ? null : String(r.ignored_reason),
      samples: Number(r.samples),
    })),
    examples: examples.map((r) => ({
      route: String(r.route),
      shape: String(r.shape),
      cause: (r.cause ?? null) as Cause | null,
      at: Number(r.at_ms),
      method: String(r.method),
      url: String(r.url),
      headers: JSON.parse(String(r.headers)) as Record<string, string>,
      patch: r.patch === null ? null : String(r.patch),
      pageAgeMs: num(r.page_age_ms),
    })),
  }
}
