import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { RowDataPacket } from 'mysql2/promise'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCli } from '../../src/cli/run.js'
import { loadMigrations, migrate, MIGRATIONS_DIR, pendingMigrations } from '../../src/db/migrate.js'
import { mysqlForTest, type MysqlForTest } from '../helpers/mysql.js'

describe('migration plan (pure)', () => {
  it('loads the shipped migrations in order', () => {
    const files = loadMigrations(MIGRATIONS_DIR)
    expect(files[0]?.name).toBe('0001_shadow.sql')
    expect(files.map((f) => f.version)).toEqual(files.map((_, i) => i + 1))
  })

  it('refuses gaps and bad names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mig-'))
    writeFileSync(join(dir, '0001_a.sql'), 'SELECT 1')
    writeFileSync(join(dir, '0003_c.sql'), 'SELECT 1')
    expect(() => loadMigrations(dir)).toThrow(expect.objectContaining({ code: 'CUTOVER_ERR_DB_MIGRATION_NAME' }))
    rmSync(dir, { recursive: true })
  })

  it('refuses an applied migration whose checksum changed', () => {
    const m = { version: 1, name: '0001_a.sql', sql: 'x', checksum: 'b'.repeat(64) }
    expect(pendingMigrations([m], [])).toEqual([m])
    expect(pendingMigrations([m], [{ version: 1, name: '0001_a.sql', checksum: 'b'.repeat(64) }])).toEqual([])
    expect(() => pendingMigrations([m], [{ version: 1, name: '0001_a.sql', checksum: 'a'.repeat(64) }])).toThrow(
      expect.objectContaining({ code: 'CUTOVER_ERR_DB_MIGRATION_CHANGED' }),
    )
  })
})

describe('migrate against MySQL', () => {
  let db: MysqlForTest
  let dir: string
  beforeAll(async () => {
    db = await mysqlForTest('migrate')
    dir = mkdtempSync(join(tmpdir(), 'mig-'))
    writeFileSync(join(dir, '0001_one.sql'), 'CREATE TABLE one (id INT PRIMARY KEY);\nINSERT INTO one VALUES (1);\n')
    writeFileSync(join(dir, '0002_two.sql'), 'CREATE TABLE two (id INT PRIMARY KEY);\n')
  })
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true })
    await db.cleanup()
  })

  it('applies each file once even when two instances race for it', async () => {
    const [a, b] = await Promise.all([migrate({ url: db.url, dir }), migrate({ url: db.url, dir })])
    expect([...a!.applied, ...b!.applied].sort()).toEqual(['0001_one.sql', '0002_two.sql'])
    const [rows] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM one')
    expect(rows[0]?.n).toBe(1)
    const again = await migrate({ url: db.url, dir })
    expect(again).toEqual({ applied: [], upToDate: ['0001_one.sql', '0002_two.sql'] })
  })

  it('applies a new file appended later', async () => {
    writeFileSync(join(dir, '0003_three.sql'), 'CREATE TABLE three (id INT PRIMARY KEY);\n')
    expect((await migrate({ url: db.url, dir })).applied).toEqual(['0003_three.sql'])
  })

  it('refuses to run when a landed file was edited, through the CLI with exit code 1', async () => {
    appendFileSync(join(dir, '0002_two.sql'), '-- edited\n')
    const err: string[] = []
    const code = await runCli(['db', 'migrate', '--db', db.url, '--dir', dir], { out: () => {}, err: (l) => err.push(l), isTTY: false, env: {} })
    expect(code).toBe(1)
    expect(err.join('\n')).toMatch(/CUTOVER_ERR_DB_MIGRATION_CHANGED: migration 0002_two.sql was changed/)
  })

  it('reports a failing migration by name and does not record it', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'mig-'))
    writeFileSync(join(bad, '0001_bad.sql'), 'CREATE TABLE bad_one (id INT PRIMARY KEY);\nNOT SQL AT ALL;\n')
    const other = await mysqlForTest('migbad')
    try {
      await expect(migrate({ url: other.url, dir: bad })).rejects.toMatchObject({ code: 'CUTOVER_ERR_DB_MIGRATION_FAILED', message: /0001_bad\.sql/ })
      const [rows] = await other.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM cutover_migrations')
      expect(rows[0]?.n).toBe(0)
    } finally {
      rmSync(bad, { recursive: true, force: true })
      await other.cleanup()
    }
  })

  it('applies the shipped migrations through the CLI', async () => {
    const fresh = await mysqlForTest('migcli')
    try {
      const out: string[] = []
      const code = await runCli(['db', 'migrate', '--db', fresh.url], { out: (l) => out.push(l), err: () => {}, isTTY: false, env: {} })
      expect(code).toBe(0)
      const shipped = loadMigrations(MIGRATIONS_DIR).map((m) => m.name)
      expect(shipped.slice(0, 4)).toEqual(['0001_shadow.sql', '0002_shadow_noise.sql', '0003_shadow_refresh_jobs.sql', '0004_playbook_journal.sql'])
      expect(out.join('\n')).toContain(`applied ${shipped.length}: ${shipped.join(', ')}`)
      const [rows] = await fresh.pool.query<RowDataPacket[]>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name LIKE 'shadow_%' ORDER BY 1")
      expect(rows.map((r) => r.t)).toEqual(['shadow_daily', 'shadow_diffs', 'shadow_examples', 'shadow_noise', 'shadow_reservoir', 'shadow_samples'])
    } finally {
      await fresh.cleanup()
    }
  })
})
