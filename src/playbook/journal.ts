import type mysql from 'mysql2/promise'
import { CUTOVER_ERR_PLAYBOOK_JOURNAL } from '../errors.js'
import type { EventBody, GateReading, JournalEvent } from './events.js'
import { applyEvent, scaledAt, type RunState } from './state.js'

export const EVENTS_TABLE = 'playbook_events'
export const READINGS_TABLE = 'playbook_gate_readings'

/** A stored gate reading, as status and reports read it back. */
export interface StoredReading extends GateReading {
  wall: number
  scaled: number
}

function journalError(playbook: string, err: unknown): Error {
  const e = err as { code?: string; message?: string }
  if (e.code === 'ER_NO_SUCH_TABLE') return new CUTOVER_ERR_PLAYBOOK_JOURNAL(playbook, `its tables are missing (${e.message}); run \`cutover db migrate\` first`)
  if (e.code === 'ER_DUP_ENTRY') return new CUTOVER_ERR_PLAYBOOK_JOURNAL(playbook, 'another process appended to it at the same time; nothing was written, try again')
  return err as Error
}

const stageOf = (b: EventBody): string | null => ('stage' in b && typeof b.stage === 'string' ? b.stage : null)
const routeOf = (b: EventBody): string | null => ('route' in b && typeof b.route === 'string' ? b.route : null)

/**
 * A playbook's journal in MySQL (migrations/0004_playbook_journal.sql).
 * Rows are only ever inserted; `seq` numbers a playbook's events without gaps
 * and a unique key on it refuses a second writer's row for the same place.
 */
export class Journal {
  constructor(
    readonly pool: mysql.Pool,
    readonly playbook: string,
  ) {}

  /** Events after `afterSeq`, in order. */
  async load(afterSeq = 0): Promise<JournalEvent[]> {
    try {
      const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
        `SELECT seq, wall_ms, scaled_ms, body FROM ${EVENTS_TABLE} WHERE playbook = ? AND seq > ? ORDER BY seq`,
        [this.playbook, afterSeq],
      )
      return rows.map((r) => ({ seq: Number(r.seq), wall: Number(r.wall_ms), scaled: Number(r.scaled_ms), body: JSON.parse(String(r.body)) as EventBody }))
    } catch (err) {
      throw journalError(this.playbook, err)
    }
  }

  /** Reads the events `state` has not seen and folds them in. */
  async catchUp(state: RunState): Promise<JournalEvent[]> {
    const events = await this.load(state.seq)
    for (const e of events) applyEvent(state, e)
    return events
  }

  /**
   * Appends events in one transaction, numbered after `state.seq`, and folds
   * them into `state` once committed. Call it under the journal lock.
   */
  async append(state: RunState, bodies: readonly EventBody[], wall: number): Promise<JournalEvent[]> {
    if (bodies.length === 0) return []
    let clock = state.clock
    const events = bodies.map((body, i) => {
      const e: JournalEvent = { seq: state.seq + i + 1, wall, scaled: Math.round(scaledAt(clock, wall)), body }
      if (body.kind === 'started') clock = { wallAt: wall, scaledAt: e.scaled, scale: body.scale }
      return e
    })
    const conn = await this.pool.getConnection()
    try {
      await conn.beginTransaction()
      await conn.query(
        `INSERT INTO ${EVENTS_TABLE} (playbook, seq, kind, route, stage, wall_ms, scaled_ms, body) VALUES ?`,
        [events.map((e) => [this.playbook, e.seq, e.body.kind, routeOf(e.body), stageOf(e.body), e.wall, e.scaled, JSON.stringify(e.body)])],
      )
      await conn.commit()
    } catch (err) {
      await conn.rollback().catch(() => {})
      throw journalError(this.playbook, err)
    } finally {
      conn.release()
    }
    for (const e of events) applyEvent(state, e)
    return events
  }

  async recordReadings(readings: readonly GateReading[], wall: number, scaled: number): Promise<void> {
    if (readings.length === 0) return
    try {
      await this.pool.query(
        `INSERT INTO ${READINGS_TABLE} (playbook, route, stage, gate, verdict, wall_ms, scaled_ms, figures, detail) VALUES ?`,
        [readings.map((r) => [this.playbook, r.route, r.stage, r.gate, r.verdict, wall, Math.round(scaled), JSON.stringify(r.figures), r.detail.slice(0, 1024)])],
      )
    } catch (err) {
      throw journalError(this.playbook, err)
    }
  }

  /** The latest reading of each gate of a route's (or the queue's, route null) stay in `stage` since `sinceWall`. */
  async latestReadings(route: string | null, stage: string, sinceWall: number): Promise<StoredReading[]> {
    try {
      const [rows] = await this.pool.query<mysql.RowDataPacket[]>(
        `SELECT r.route, r.stage, r.gate, r.verdict, r.wall_ms, r.scaled_ms, r.figures, r.detail FROM ${READINGS_TABLE} r
         JOIN (SELECT gate, MAX(id) AS id FROM ${READINGS_TABLE} WHERE playbook = ? AND route <=> ? AND stage = ? AND wall_ms >= ? GROUP BY gate) m ON m.id = r.id
         ORDER BY r.gate`,
        [this.playbook, route, stage, sinceWall],
      )
      return rows.map((r) => ({
        route: r.route === null ? null : String(r.route),
        stage: String(r.stage),
        gate: String(r.gate),
        verdict: r.verdict as GateReading['verdict'],
        wall: Number(r.wall_ms),
        scaled: Number(r.scaled_ms),
        figures: JSON.parse(String(r.figures)) as GateReading['figures'],
        detail: String(r.detail),
      }))
    } catch (err) {
      throw journalError(this.playbook, err)
    }
  }
}
