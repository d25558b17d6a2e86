import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { basename, dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'
import config from '../vitest.config.js'
import { attempts, portOf } from './helpers/unit-setup.js'
import { importsOf, isIntegrationFile, root, servicesReached, testFiles } from './helpers/test-projects.js'

// The suite's two projects are told apart by file name alone: *.int.test.ts is
// integration, any other *.test.ts is unit (docs/contributing.md). These checks
// keep the names honest.

describe('the unit and integration projects', () => {
  const files = testFiles()

  it('no unit file reaches a service helper, a service client or a child process, directly or through test/ files', () => {
    const wrong = files.filter((f) => !isIntegrationFile(f)).flatMap((f) => servicesReached(f))
    expect(wrong, 'rename these *.int.test.ts, or take the service out').toEqual([])
  })

  it('every integration file reaches one (else it is a unit test, and is named *.test.ts)', () => {
    const idle = files.filter((f) => isIntegrationFile(f) && servicesReached(f).length === 0)
    expect(idle).toEqual([])
  })

  it('both projects are there: the split is not empty on either side', () => {
    expect(files.filter(isIntegrationFile).length).toBeGreaterThan(10)
    expect(files.filter((f) => !isIntegrationFile(f)).length).toBeGreaterThan(10)
  })

  it('vitest.config.ts selects them by name; only integration checks the services, only unit guards the ports', () => {
    const projects = (config.test?.projects ?? []) as Array<{ test: { name: string; include: string[]; exclude: string[]; globalSetup?: string[]; setupFiles?: string[] } }>
    const unit = projects.find((p) => p.test.name === 'unit')?.test
    const integration = projects.find((p) => p.test.name === 'integration')?.test
    expect(unit?.include).toEqual(['test/**/*.test.ts'])
    expect(unit?.exclude).toContain('test/**/*.int.test.ts')
    expect(unit?.globalSetup).toBeUndefined()
    expect(unit?.setupFiles).toEqual(['test/helpers/unit-setup.ts'])
    expect(integration?.include).toEqual(['test/**/*.int.test.ts'])
    expect(integration?.globalSetup).toEqual(['test/helpers/global-setup.ts'])
    expect(config.test?.globalSetup).toBeUndefined()
  })

  it('a file name used in two folders mirrors a source module in each (test/x/runner.test.ts for src/x/runner.ts)', () => {
    const byName = new Map<string, string[]>()
    for (const f of files) {
      const name = basename(f).replace(/(\.int)?\.test\.ts$/, '')
      byName.set(name, [...(byName.get(name) ?? []), f])
    }
    const confusing = [...byName.values()]
      .filter((same) => same.length > 1)
      .flat()
      .filter((f) => !existsSync(join(root, dirname(f).replace(/^test/, 'src'), `${basename(f).replace(/(\.int)?\.test\.ts$/, '')}.ts`)))
    expect(confusing).toEqual([])
  })
})

describe('the import reader behind the check', () => {
  it('tells value imports from type-only ones, in every form', () => {
    const source = [
      "import type { Redis } from 'ioredis'",
      "import { type Pool, type RowDataPacket } from 'mysql2/promise'",
      "import { Queue } from 'bullmq'",
      "import mysql, { type Connection } from 'mysql2'",
      "import {\n  redisForTest,\n  type RedisForTest,\n} from './helpers/redis.js'",
      "export { STORES } from './apps.js'",
      // (split so that this file does not import it itself)
      "const m = await imp" + "ort('node:child_process')",
    ].join('\n')
    expect(importsOf(source)).toEqual([
      { specifier: 'ioredis', typeOnly: true },
      { specifier: 'mysql2/promise', typeOnly: true },
      { specifier: 'bullmq', typeOnly: false },
      { specifier: 'mysql2', typeOnly: false },
      { specifier: './helpers/redis.js', typeOnly: false },
      { specifier: './apps.js', typeOnly: false },
      { specifier: 'node:child_process', typeOnly: false },
    ])
  })

  it('follows test/ files to the helper, and names the chain', () => {
    // The security cases reach the shared Redis only through their store table.
    expect(servicesReached('test/security/query.int.test.ts')).toContain(
      'test/security/query.int.test.ts -> test/security/apps.ts -> test/helpers/redis.ts (the shared Redis)',
    )
    // A type-only import of a client is not a connection.
    expect(servicesReached('test/meter/counts.test.ts')).toEqual([])
  })
})

describe('the port guard of the unit project (test/helpers/unit-setup.ts)', () => {
  it('reads the port from every form of Socket#connect', () => {
    expect(portOf([6379, '127.0.0.1'])).toBe(6379)
    expect(portOf(['3306'])).toBe(3306)
    expect(portOf([{ host: 'db', port: 5432 }])).toBe(5432)
    expect(portOf([[{ port: '6379', host: '::1' }, () => {}]])).toBe(6379)
    expect(portOf(['/tmp/redis.sock'])).toBeUndefined()
  })

  it('refuses a connection to a service port before it is made, and records it', async () => {
    const before = attempts.length
    const error = await new Promise<Error>((resolve) => connect({ host: '127.0.0.1', port: 6379 }).once('error', resolve))
    expect(error.message).toMatch(/a unit test may not connect to Redis \(port 6379\); name the file \*\.int\.test\.ts/)
    expect(attempts.slice(before)).toEqual([expect.stringContaining('tried to connect to port 6379 (Redis)')])
    // This one was on purpose: take it back so the file passes.
    attempts.splice(before)
  })
})
