import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type mysql from 'mysql2/promise'
import { migrate } from '../../src/db/migrate.js'
import type { FlagAdminWriter } from '../../src/flags/admin-writer.js'
import { FileAdminWriter } from '../../src/flags/file-admin.js'
import type { RouteFlagInput } from '../../src/flags/route-state.js'
import { mysqlForTest, type MysqlForTest } from './mysql.js'

export interface PlaybookIO {
  db: MysqlForTest
  dir: string
  flagsFile: string
  cleanup(): Promise<void>
}

/** A migrated database of its own and a directory for the flags file. */
export async function playbookIO(name: string): Promise<PlaybookIO> {
  const db = await mysqlForTest(name)
  await migrate({ url: db.url })
  const dir = await mkdtemp(join(tmpdir(), `cutover-${name}-`))
  return {
    db,
    dir,
    flagsFile: join(dir, 'flags.yaml'),
    async cleanup() {
      await rm(dir, { recursive: true, force: true })
      await db.cleanup()
    },
  }
}

/** A file writer that counts the writes it makes. */
export function countingWriter(path: string): FlagAdminWriter & { sets: string[] } {
  const inner = new FileAdminWriter({ path })
  const sets: string[] = []
  return {
    kind: inner.kind,
    sets,
    createRoutes: (ids) => inner.createRoutes(ids),
    setRoute: (route: string, input: RouteFlagInput) => {
      sets.push(`${route} ${input.mode}`)
      return inner.setRoute(route, input)
    },
    getRoute: (route) => inner.getRoute(route),
    setKill: (on) => inner.setKill(on),
    getKill: () => inner.getKill(),
    listRoutes: () => inner.listRoutes(),
  }
}

/** Stores shadow samples as the shadow writer would (only the columns the gates read). */
export async function insertSamples(
  pool: mysql.Pool,
  route: string,
  at: number,
  samples: Array<{ outcome: 'match' | 'mismatch' | 'error'; cause?: string | null }>,
): Promise<void> {
  await pool.query(
    'INSERT INTO shadow_samples (route, at_ms, method, url, outcome, cause, candidate_source, control_status, control_ms) VALUES ?',
    [samples.map((s, i) => [route, at + i, 'GET', '/x', s.outcome, s.cause ?? null, 'fresh', 200, 1])],
  )
}
