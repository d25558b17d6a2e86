import { createHash } from 'node:crypto'
import mysql from 'mysql2/promise'
import { CUTOVER_ERR_SHADOW_CLOSE_TIMEOUT, CUTOVER_ERR_SHADOW_DATABASE_URL, CUTOVER_ERR_SHADOW_OPTIONS_INVALID } from '../errors.js'
import { CAUSES, type ClassifiedDiff } from './classify.js'
import type { NoiseModel } from './noise-model.js'
import { saveNoise, SHADOW_DATABASE_OPTION } from './noise-store.js'
import type { ShadowRecord } from './record.js'
import { consecutiveInsertIds, insertSamples } from './sample-rows.js'
import type { ShadowSink } from './runner.js'

export interface ShadowWriterOptions {
  /** Pool for the shadow tables (see createShadowPool); the writer never closes it. */
  pool: mysql.Pool
  /** @default 100 */
  batchSize?: number
  /**
   * Flush at least this often, ms.
   * @default 1000
   */
  flushMs?: number
  /**
   * Records waiting beyond this are dropped (counted), so a slow database costs memory, never requests.
   * @default 5000
   */
  maxQueue?: number
  /**
   * Samples stored per route per UTC day; later ones are counted as capped, not stored.
   * @default 10000
   */
  maxSamplesPerRouteDay?: number
  /**
   * Example diffs kept per route, day and path shape (reservoir size).
   * @default 5
   */
  examplesPerPath?: number
  /**
   * Difference rows stored per sample (most serious first).
   * @default 100
   */
  maxDiffRowsPerSample?: number
  /**
   * Path shapes per sample offered to the example reservoirs (most serious first).
   * @default 10
   */
  maxExamplePathsPerSample?: number
  /**
   * Rows older than this many days are pruned.
   * @default 14
   */
  retentionDays?: number
  /**
   * How often pruning runs, ms (0: never in the background; call prune()).
   * @default 3_600_000
   */
  pruneEveryMs?: number
  /** A noise model to persist (shadow_noise) every `noiseSaveMs` and on close; load it with loadNoise(). */
  noise?: NoiseModel
  /**
   * How often the noise model is saved, ms.
   * @default 60_000
   */
  noiseSaveMs?: number
  /**
   * Longest close() waits for the last flush and noise save, ms. Past it, close() resolves: the samples
   * still queued are dropped (counted), and onError gets a CUTOVER_ERR_SHADOW_CLOSE_TIMEOUT saying how
   * many. A MySQL that accepts connections and never answers would otherwise hold shutdown for the
   * driver's connect timeout per batch, or forever once a query is in flight.
   * @default 3000
   */
  closeTimeoutMs?: number
  onError?: (err: Error) => void
  random?: () => number
  now?: () => number
}

export interface ShadowWriterStats {
  queued: number
  written: number
  /** Dropped because the queue was full, the writer closed, or MySQL failed. */
  dropped: number
  /** Not stored because the route's daily cap was reached. */
  capped: number
  failedBatches: number
}

export interface ShadowWriter extends ShadowSink {
  /** Writes what is queued now; never rejects (failures are counted). */
  flush(): Promise<void>
  /** Deletes rows older than the retention; resolves to rows deleted. */
  prune(): Promise<number>
  /** Flushes and stops the timers; never rejects, and resolves within `closeTimeoutMs`. */
  close(): Promise<void>
  stats(): ShadowWriterStats
}

/**
 * A pool for the writer that fails fast when MySQL is away. The URL is
 * checked at once: an unset variable (`undefined`) or a URL without a user
 * or database would otherwise surface later as "Access denied for user ''"
 * from deep inside the first query.
 */
export function createShadowPool(url: string): mysql.Pool {
  let parsed: URL | undefined
  try {
    parsed = typeof url === 'string' ? new URL(url) : undefined
  } catch {
    parsed = undefined
  }
  if (!parsed || !/^(mysql|mariadb):$/.test(parsed.protocol) || parsed.username === '' || parsed.pathname.length <= 1) {
    const shown = typeof url === 'string' ? JSON.stringify(url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')) : String(url)
    throw new CUTOVER_ERR_SHADOW_DATABASE_URL(SHADOW_DATABASE_OPTION, shown)
  }
  return mysql.createPool({ uri: url, connectionLimit: 2, connectTimeout: 2000, enableKeepAlive: true })
}

function int(name: string, v: number | undefined, dflt: number, min: number): number {
  const r = v ?? dflt
  if (!Number.isInteger(r) || r < min) throw new CUTOVER_ERR_SHADOW_OPTIONS_INVALID(`${name} to be an integer >= ${min}`, String(v))
  return r
}

const utcDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex')
const rank = (d: ClassifiedDiff): number => (d.cause === null ? CAUSES.length : CAUSES.indexOf(d.cause))

export function createShadowWriter(options: ShadowWriterOptions): ShadowWriter {
  const pool = options.pool
  const batchSize = int('batchSize', options.batchSize, 100, 1)
  const flushMs = int('flushMs', options.flushMs, 1000, 1)
  const maxQueue = int('maxQueue', options.maxQueue, 5000, 1)
  const cap = int('maxSamplesPerRouteDay', options.maxSamplesPerRouteDay, 10_000, 1)
  const k = int('examplesPerPath', options.examplesPerPath, 5, 1)
  const maxDiffRows = int('maxDiffRowsPerSample', options.maxDiffRowsPerSample, 100, 0)
  const maxExamplePaths = int('maxExamplePathsPerSample', options.maxExamplePathsPerSample, 10, 0)
  const retentionDays = int('retentionDays', options.retentionDays, 14, 1)
  const pruneEveryMs = int('pruneEveryMs', options.pruneEveryMs, 3_600_000, 0)
  const noiseSaveMs = int('noiseSaveMs', options.noiseSaveMs, 60_000, 1)
  const closeTimeoutMs = int('closeTimeoutMs', options.closeTimeoutMs, 3000, 1)
  const random = options.random ?? Math.random
  const now = options.now ?? Date.now
  const onError = options.onError ?? (() => {})
  const counters: ShadowWriterStats = { queued: 0, written: 0, dropped: 0, capped: 0, failedBatches: 0 }
  let queue: ShadowRecord[] = []
  let closed = false
  let running: Promise<void> = Promise.resolve()
  /** Records of the batch being written now. */
  let writing = 0
  /** Whether a multi-row INSERT's ids are consecutive on this server (asked once). */
  let consecutive: boolean | undefined

  async function writeBatch(batch: ShadowRecord[]): Promise<void> {
    const conn = await pool.getConnection()
    try {
      await conn.beginTransaction()
      const groups = new Map<string, ShadowRecord[]>()
      for (const r of batch) {
        const key = `${r.route}\n${utcDay(r.at)}`
        const g = groups.get(key)
        if (g) g.push(r)
        else groups.set(key, [r])
      }
      const kept: ShadowRecord[] = []
      let capped = 0
      for (const [key, records] of groups) {
        const [route, day] = key.split('\n') as [string, string]
        await conn.query('INSERT INTO shadow_daily (route, day, stored, capped) VALUES (?, ?, 0, 0) ON DUPLICATE KEY UPDATE route = route', [route, day])
        const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT stored FROM shadow_daily WHERE route = ? AND day = ? FOR UPDATE', [route, day])
        const room = Math.max(0, cap - Number(row?.stored ?? 0))
        kept.push(...records.slice(0, room))
        const refused = Math.max(0, records.length - room)
        capped += refused
        await conn.query('UPDATE shadow_daily SET stored = stored + ?, capped = capped + ? WHERE route = ? AND day = ?', [records.length - refused, refused, route, day])
      }
      consecutive ??= await consecutiveInsertIds(conn)
      const ids = await insertSamples(conn, kept, consecutive)
      const diffRows: unknown[][] = []
      for (const [i, r] of kept.entries()) diffRows.push(...(await writeDetails(conn, r, ids[i]!)))
      // One insert for the whole batch's differences.
      for (let i = 0; i < diffRows.length; i += 1000) {
        await conn.query('INSERT INTO shadow_diffs (sample_id, route, at_ms, path, shape, kind, cause, ignored_reason) VALUES ?', [diffRows.slice(i, i + 1000)])
      }
      await conn.commit()
      counters.written += kept.length
      counters.capped += capped
    } catch (err) {
      await conn.rollback().catch(() => {})
      throw err
    } finally {
      conn.release()
    }
  }

  /** Writes the sample's examples; returns its difference rows for the batch insert. */
  async function writeDetails(conn: mysql.PoolConnection, r: ShadowRecord, id: number): Promise<unknown[][]> {
    // Past the row cap, keep one row of every path shape and cause first, so the counts still show each of them.
    const sorted = [...r.diffs].sort((a, b) => rank(a) - rank(b))
    const firsts = new Set<string>()
    const lead: ClassifiedDiff[] = []
    const rest: ClassifiedDiff[] = []
    for (const d of sorted) {
      const key = `${d.shape}\n${d.cause ?? ''}`
      if (firsts.has(key)) {
        rest.push(d)
      } else {
        firsts.add(key)
        lead.push(d)
      }
    }
    const diffs = [...lead, ...rest].slice(0, maxDiffRows)
    const rows = diffs.map((d) => [id, r.route, r.at, d.path.slice(0, 512), d.shape.slice(0, 512), d.kind, d.cause, d.ignored ? `${d.ignored.rule}: ${d.ignored.reason}`.slice(0, 255) : null])
    // Examples are there to be read: only samples that carry a diff are offered (the runner bounds how many do).
    if (r.outcome !== 'mismatch' || r.patch === null) return rows
    const shapes: string[] = []
    for (const d of diffs) if (d.cause !== null && !shapes.includes(d.shape)) shapes.push(d.shape)
    const day = utcDay(r.at)
    for (const shape of shapes.slice(0, maxExamplePaths)) {
      const hash = sha1(shape)
      // LAST_INSERT_ID(expr) hands the new count back in the same statement; a first offer inserts (insertId 0).
      const [offer] = await conn.query<mysql.ResultSetHeader>(
        'INSERT INTO shadow_reservoir (route, day, shape_hash, seen) VALUES (?, ?, ?, 1) ON DUPLICATE KEY UPDATE seen = LAST_INSERT_ID(seen + 1)',
        [r.route, day, hash],
      )
      const seen = offer.insertId > 0 ? Number(offer.insertId) : 1
      // Algorithm R: the n-th offer replaces a random slot with probability k/n, so every offer is equally likely to be kept.
      const slot = seen <= k ? seen - 1 : Math.floor(random() * seen)
      if (slot >= k) continue
      await conn.query(
        `REPLACE INTO shadow_examples (route, day, shape_hash, slot, shape, sample_id, at_ms, cause, method, url, headers, diffs, patch, page_age_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          r.route, day, hash, slot, shape.slice(0, 512), id, r.at, r.diffs.find((d) => d.shape === shape)?.cause ?? null,
          r.method, r.url.slice(0, 2048), JSON.stringify(r.headers), JSON.stringify(r.diffs.filter((d) => d.shape === shape).slice(0, 20)),
          r.patch, r.pageAgeMs === null ? null : Math.round(r.pageAgeMs),
        ],
      )
    }
    return rows
  }

  function flushOnce(): Promise<void> {
    running = running.then(async () => {
      while (queue.length > 0) {
        const batch = queue.slice(0, batchSize)
        queue = queue.slice(batch.length)
        counters.queued = queue.length
        writing = batch.length
        try {
          await writeBatch(batch)
        } catch (err) {
          counters.dropped += batch.length
          counters.failedBatches++
          onError(err as Error)
        } finally {
          writing = 0
        }
      }
    })
    return running
  }

  async function prune(): Promise<number> {
    const cutoff = now() - retentionDays * 86_400_000
    let deleted = 0
    for (const table of ['shadow_samples', 'shadow_diffs', 'shadow_examples']) {
      for (;;) {
        const [res] = await pool.query<mysql.ResultSetHeader>(`DELETE FROM ${table} WHERE at_ms < ? LIMIT 5000`, [cutoff])
        deleted += res.affectedRows
        if (res.affectedRows < 5000) break
      }
    }
    for (const table of ['shadow_reservoir', 'shadow_daily']) {
      const [res] = await pool.query<mysql.ResultSetHeader>(`DELETE FROM ${table} WHERE day < ?`, [utcDay(cutoff)])
      deleted += res.affectedRows
    }
    return deleted
  }

  const flushTimer = setInterval(() => void flushOnce(), flushMs)
  flushTimer.unref()
  const pruneTimer = pruneEveryMs > 0 ? setInterval(() => void prune().catch((e: unknown) => onError(e as Error)), pruneEveryMs) : undefined
  pruneTimer?.unref()
  const noise = options.noise
  const saveNoiseNow = (): Promise<void> => (noise ? saveNoise(pool, noise).then(() => {}, (e: unknown) => onError(e as Error)) : Promise.resolve())
  const noiseTimer = noise ? setInterval(() => void saveNoiseNow(), noiseSaveMs) : undefined
  noiseTimer?.unref()

  return {
    write(record) {
      if (closed || queue.length >= maxQueue) {
        counters.dropped++
        return
      }
      queue.push(record)
      counters.queued = queue.length
      if (queue.length >= batchSize) void flushOnce()
    },
    flush: flushOnce,
    prune,
    async close() {
      closed = true
      clearInterval(flushTimer)
      if (pruneTimer) clearInterval(pruneTimer)
      if (noiseTimer) clearInterval(noiseTimer)
      let timer: NodeJS.Timeout | undefined
      const finished = flushOnce().then(saveNoiseNow).then(() => true)
      const gaveUp = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), closeTimeoutMs)))
      const done = await Promise.race([finished, gaveUp])
      clearTimeout(timer)
      if (done) return
      // The batch being written settles on its own (written, or dropped when it fails); the rest never will be.
      const left = queue.length
      queue = []
      counters.queued = 0
      counters.dropped += left
      onError(new CUTOVER_ERR_SHADOW_CLOSE_TIMEOUT(closeTimeoutMs, left, writing))
    },
    stats: () => ({ ...counters }),
  }
}
