// MySQL named locks (GET_LOCK) for playbooks. The runner lock is held by one
// connection for as long as a runner runs, so a second runner is refused at
// once, and a runner killed with SIGKILL lets go when its connection drops.
// The journal lock is held briefly by whoever decides and writes (a tick, or
// a person's approve / pause / resume / rollback), so no two interleave.

import { createHash } from 'node:crypto'
import type mysql from 'mysql2/promise'
import { CUTOVER_ERR_PLAYBOOK_JOURNAL, CUTOVER_ERR_PLAYBOOK_LOCKED } from '../errors.js'

/** GET_LOCK names are server-wide and at most 64 characters: hash the database and the playbook. */
async function lockName(conn: mysql.PoolConnection, playbook: string, purpose: 'run' | 'journal'): Promise<string> {
  const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT DATABASE() AS db')
  const digest = createHash('sha1').update(`${String(row?.db)}\0${playbook}`).digest('hex').slice(0, 32)
  return `cutover:playbook:${digest}:${purpose}`
}

export interface HeldLock {
  readonly name: string
  /** true while this connection still holds the lock. */
  held(): Promise<boolean>
  release(): Promise<void>
}

/**
 * Takes the playbook's runner lock or throws CUTOVER_ERR_PLAYBOOK_LOCKED naming
 * who holds it, after waiting up to `waitS` (0: refuse at once).
 */
export async function takeRunnerLock(pool: mysql.Pool, playbook: string, waitS = 0): Promise<HeldLock> {
  const conn = await pool.getConnection()
  try {
    const name = await lockName(conn, playbook, 'run')
    const [[got]] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [name, waitS])
    if (got?.ok !== 1) {
      const [[holder]] = await conn.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) AS id', [name])
      throw new CUTOVER_ERR_PLAYBOOK_LOCKED(playbook, name, String(holder?.id ?? 'unknown'))
    }
    return {
      name,
      async held() {
        const [[row]] = await conn.query<mysql.RowDataPacket[]>('SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine', [name])
        return Number(row?.mine) === 1
      },
      async release() {
        const clean = await conn.query('SELECT RELEASE_LOCK(?)', [name]).then(() => true, () => false)
        if (clean) conn.release()
        else conn.destroy()
      },
    }
  } catch (err) {
    // Drop the connection rather than return it with a lock or a broken session.
    conn.destroy()
    throw err
  }
}

/** Runs `work` holding the playbook's journal lock, waiting up to `timeoutS` for it. */
export async function withJournalLock<T>(pool: mysql.Pool, playbook: string, timeoutS: number, work: () => Promise<T>): Promise<T> {
  const conn = await pool.getConnection()
  let name: string | undefined
  try {
    name = await lockName(conn, playbook, 'journal')
    const [[got]] = await conn.query<mysql.RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [name, timeoutS])
    if (got?.ok !== 1) {
      name = undefined
      throw new CUTOVER_ERR_PLAYBOOK_JOURNAL(playbook, `another process held its lock for more than ${timeoutS}s; try again`)
    }
    return await work()
  } finally {
    const clean = name === undefined || (await conn.query('SELECT RELEASE_LOCK(?)', [name]).then(() => true, () => false))
    if (clean) conn.release()
    else conn.destroy() // its session (and the lock with it) ends
  }
}
