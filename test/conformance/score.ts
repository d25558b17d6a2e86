// Scores a run of the cache-tests suite exactly as cache-tests.fyi scores the
// published results: the suite's own determineTestResult, dependencies
// honoured, a test counted only when its result is a pass.
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export interface SuiteTest {
  id: string
  name: string
  kind?: 'required' | 'optimal' | 'check'
  browser_only?: boolean
  depends_on?: string[]
}
export interface SuiteGroup {
  id: string
  name: string
  tests: SuiteTest[]
}
export type RunResults = Record<string, true | [string, string] | unknown>
type ResultType = [string, string, string]

export interface Suite {
  groups: SuiteGroup[]
  determine: (groups: SuiteGroup[], id: string, results: RunResults) => ResultType
  pass: ResultType
  types: Record<string, ResultType>
}

export async function loadSuite(dir: string): Promise<Suite> {
  const tests = (await import(pathToFileURL(join(dir, 'tests/index.mjs')).href)) as { default: SuiteGroup[] }
  const lib = (await import(pathToFileURL(join(dir, 'test-engine/lib/results.mjs')).href)) as {
    determineTestResult: Suite['determine']
    resultTypes: Record<string, ResultType>
  }
  return { groups: tests.default, determine: lib.determineTestResult, pass: lib.resultTypes.pass as ResultType, types: lib.resultTypes }
}

/** The tests a shared cache is scored on: all but the browser-only ones (365 at the vendored commit). */
export function scoredTests(suite: Suite): Array<{ group: SuiteGroup; test: SuiteTest }> {
  return suite.groups.flatMap((group) => group.tests.filter((t) => t.browser_only !== true).map((test) => ({ group, test })))
}

export interface Score {
  passed: number
  total: number
  byGroup: Map<string, { passed: number; total: number }>
  /** Tests not passed, with the suite's verdict symbol name and the failure message. */
  notPassed: Array<{ group: string; id: string; kind: string; verdict: string; message: string }>
}

export function score(suite: Suite, results: RunResults): Score {
  const byGroup = new Map<string, { passed: number; total: number }>()
  const notPassed: Score['notPassed'] = []
  let passed = 0
  let total = 0
  const verdictName = (r: ResultType): string => Object.entries(suite.types).find(([, v]) => v === r)?.[0] ?? 'unknown'
  for (const { group, test } of scoredTests(suite)) {
    const g = byGroup.get(group.id) ?? { passed: 0, total: 0 }
    byGroup.set(group.id, g)
    total++
    g.total++
    const verdict = suite.determine(suite.groups, test.id, results)
    if (verdict === suite.pass) {
      passed++
      g.passed++
    } else {
      const raw = results[test.id]
      const message = Array.isArray(raw) ? String(raw[1] ?? raw[0]) : raw === undefined ? 'not run' : ''
      notPassed.push({ group: group.id, id: test.id, kind: test.kind ?? 'required', verdict: verdictName(verdict), message })
    }
  }
  return { passed, total, byGroup, notPassed }
}

/** The published results of other implementations (results/*.json), named as the website names them. */
export async function publishedResults(dir: string): Promise<Array<{ name: string; type: string; results: RunResults }>> {
  const index = (await import(pathToFileURL(join(dir, 'results/index.mjs')).href)) as { default: Array<{ file: string; name: string; type: string }> }
  const files = new Set(await readdir(join(dir, 'results')))
  const out: Array<{ name: string; type: string; results: RunResults }> = []
  for (const entry of index.default) {
    if (!files.has(entry.file)) continue
    out.push({ name: entry.name, type: entry.type, results: JSON.parse(await readFile(join(dir, 'results', entry.file), 'utf8')) as RunResults })
  }
  return out
}
