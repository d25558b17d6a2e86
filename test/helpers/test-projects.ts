import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'

// How the suite is split into its two vitest projects (vitest.config.ts), and
// the static check that keeps the split honest (test/test-projects.test.ts).
//
//   unit         test/**/*.test.ts except *.int.test.ts: in-process only, no
//                service, no program started; runs anywhere in seconds.
//   integration  test/**/*.int.test.ts: real Redis, MySQL/MariaDB or
//                PostgreSQL, or a program it starts (redis-server, an Unleash
//                server, the CLI in a child process, the TypeScript build, a
//                browser).

export const root = resolve(import.meta.dirname, '../..')

export const UNIT_INCLUDE = 'test/**/*.test.ts'
export const INTEGRATION_INCLUDE = 'test/**/*.int.test.ts'
/** Not tests of either project: the benchmarks (npm run bench). */
export const NOT_TESTS = 'test/bench/**'

export const isIntegrationFile = (path: string): boolean => path.endsWith('.int.test.ts')

/**
 * What makes a file integration. A test file that imports one of these,
 * directly or through other files under test/, belongs in the integration project.
 */
export const SERVICE_HELPERS: Record<string, string> = {
  'test/helpers/redis.ts': 'the shared Redis',
  'test/helpers/mysql.ts': 'the shared MySQL',
  'test/helpers/playbook-io.ts': 'the shared MySQL',
  'test/helpers/services.ts': 'the service URLs',
  'test/helpers/redis-server.ts': 'a redis-server it starts',
  'test/helpers/redis-cluster.ts': 'a Redis Cluster it starts',
  'test/helpers/unleash-server.ts': 'an Unleash server on PostgreSQL',
  'test/helpers/cli-process.ts': 'the CLI in a child process',
}

/** Packages whose value import (not `import type`) in a test file means a service or a process. */
export const SERVICE_PACKAGES: Record<string, string> = {
  ioredis: 'a Redis client',
  'mysql2/promise': 'a MySQL client',
  mysql2: 'a MySQL client',
  bullmq: 'a BullMQ queue on Redis',
  'node:child_process': 'a child process',
  child_process: 'a child process',
  'playwright-core': 'a browser',
}

interface Import {
  specifier: string
  typeOnly: boolean
}

/** The static imports and re-exports of a TypeScript file (`import type` marked as such). */
export function importsOf(source: string): Import[] {
  const found: Import[] = []
  const statement = /^\s*(?:import|export)\s+(?<type>type\s+)?(?:[^'"]*?\s+from\s+)?['"](?<specifier>[^'"]+)['"]/gm
  for (const m of source.matchAll(statement)) {
    // `import { type A, type B } from 'x'` is type-only too.
    const named = /^\s*(?:import|export)\s+\{(?<names>[^}]*)\}\s*from/.exec(m[0])?.groups?.names
    const allTypes = named !== undefined && named.split(',').every((s) => s.trim() === '' || /^\s*type\s/.test(s))
    found.push({ specifier: m.groups?.specifier ?? '', typeOnly: m.groups?.type !== undefined || allTypes })
  }
  for (const m of source.matchAll(/\bimport\(\s*['"](?<specifier>[^'"]+)['"]\s*\)/g)) found.push({ specifier: m.groups?.specifier ?? '', typeOnly: false })
  return found
}

function resolveLocal(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined
  const target = resolve(dirname(join(root, from)), specifier).replace(/\.js$/, '.ts')
  const rel = relative(root, target)
  if (!rel.startsWith('test/') || !existsSync(target)) return undefined
  return rel
}

/**
 * Every reason `file` is integration: a service helper or package it reaches,
 * with the chain of test/ files it goes through. Empty for a unit file.
 */
export function servicesReached(file: string): string[] {
  const reasons: string[] = []
  const seen = new Set<string>()
  const visit = (path: string, chain: string[]): void => {
    if (seen.has(path)) return
    seen.add(path)
    const via = [...chain, path]
    if (SERVICE_HELPERS[path] !== undefined && chain.length > 0) {
      reasons.push(`${via.join(' -> ')} (${SERVICE_HELPERS[path]})`)
      return
    }
    for (const imp of importsOf(readFileSync(join(root, path), 'utf8'))) {
      if (imp.typeOnly) continue
      const pkg = SERVICE_PACKAGES[imp.specifier]
      if (pkg !== undefined) reasons.push(`${via.join(' -> ')} imports ${imp.specifier} (${pkg})`)
      const local = resolveLocal(path, imp.specifier)
      if (local !== undefined) visit(local, via)
    }
  }
  visit(file, [])
  return reasons
}

/** Every test file of both projects, relative to the root, sorted. */
export function testFiles(): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`
      if (entry.isDirectory()) {
        if (path !== 'test/bench' && entry.name !== 'fixtures') walk(path)
      } else if (entry.name.endsWith('.test.ts')) out.push(path)
    }
  }
  walk('test')
  return out.sort()
}
