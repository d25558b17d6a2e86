import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Ajv } from 'ajv'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { loadPlaybook, parsePlaybook, type PlacedProblem } from '../../src/playbook/parse.js'
import { PLAYBOOK_SCHEMA_PATH } from '../../src/playbook/schema.js'

const PLAYBOOKS = join(import.meta.dirname, '../../playbooks')

function problemsOf(yaml: string): { code: string; problems: PlacedProblem[]; message: string } {
  try {
    parsePlaybook(yaml, 'pb.yaml')
  } catch (err) {
    const e = err as Error & { code: string; problems: PlacedProblem[] }
    return { code: e.code, problems: e.problems, message: e.message }
  }
  throw new Error('expected the playbook to be refused')
}

const at = (p: PlacedProblem): string => `${p.line}:${p.column} ${p.path}: ${p.message}`

const HEAD = `version: 1
name: t
routes:
  match: [a]
stages:
`

describe('shipped playbooks', () => {
  const files = readdirSync(PLAYBOOKS).filter((f) => f.endsWith('.yaml'))

  it('ships week.yaml and a single-route playbook', () => {
    expect(files.sort()).toEqual(['route.yaml', 'week.yaml'])
  })

  it.each(files)('%s is valid against the JSON Schema (a plain ajv, as an editor would check it) and parses', async (file) => {
    const schema = JSON.parse(readFileSync(PLAYBOOK_SCHEMA_PATH, 'utf8')) as object
    const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema)
    const document: unknown = parseYaml(readFileSync(join(PLAYBOOKS, file), 'utf8'))
    expect(validate(document), JSON.stringify(validate.errors)).toBe(true)
    const playbook = await loadPlaybook(join(PLAYBOOKS, file))
    expect(playbook.stages.length).toBeGreaterThan(2)
  })

  it('week.yaml: the seven days, each gated, the queue stages last', async () => {
    const week = await loadPlaybook(join(PLAYBOOKS, 'week.yaml'))
    expect(week.stages.map((s) => `${s.name}:${s.scope}:${s.holdMs / 86_400_000}d:${s.gates.length}`)).toEqual([
      'measure:route:1d:1', 'shadow:route:1d:3', 'canary-10:route:1d:3', 'canary-50:route:1d:3', 'on:route:1d:2', 'drain:queue:1d:1', 'retire:queue:0d:0',
    ])
    expect(week.stages.map((s) => s.flag?.mode)).toEqual(['off', 'shadow', 'canary', 'canary', 'on', 'on', 'on'])
    expect(week.stages[0]?.actions.queueGate).toBe('dedupe')
    expect(week.usesQueue).toBe(true)
  })
})

describe('playbook errors carry file, line and column', () => {
  it('an unknown key points at the key, with the keys that are known', () => {
    const r = problemsOf(`${HEAD}  - name: s\n    hold: 1h\n    gate:\n      manual: true\n`)
    expect(r.code).toBe('CUTOVER_ERR_PLAYBOOK_INVALID')
    expect(r.problems.map(at)).toEqual(['8:5 stages[0].gate: unknown key "gate"; expected one of: name, description, scope, actions, hold, window, gates'])
    expect(r.message).toContain('pb.yaml:8:5: stages[0].gate: unknown key "gate"')
  })

  it('a wrong value points at the value and says what was expected', () => {
    const r = problemsOf(`${HEAD}  - name: s\n    hold: 2 days\n    actions: { mode: sideways, percent: 140 }\n`)
    expect(r.problems.map(at)).toEqual([
      '7:11 stages[0].hold: expected a duration such as 30s, 15m, 2h, 1d, 1w or 1h30m, got "2 days"',
      '8:22 stages[0].actions.mode: expected one of "off", "shadow", "canary", "on", got "sideways"',
      '8:41 stages[0].actions.percent: expected a number <= 100, got 140',
    ])
  })

  it('missing keys point at the mapping that lacks them', () => {
    const r = problemsOf('version: 1\nname: t\nstages:\n  - hold: 1h\n')
    expect(r.problems.map(at)).toEqual(['1:1 (top level): missing key "routes"', '4:5 stages[0]: missing key "name"'])
  })

  it('says what each schema keyword expected', () => {
    const r = problemsOf(`version: 2
name: "a name with spaces"
routes: { match: [], exclude: [""] }
minSamples: 0
stages:
  - name: s
    window: sometimes
    actions: { drain: { rate: 0 }, retire: {} }
    gates: { manual: 3, p99: {}, queueDepth: { max: -1 } }
`)
    expect(r.problems.map(at)).toEqual([
      '1:10 version: expected 1 (the playbook format version, 1), got 2',
      '2:7 name: expected the playbook\'s name: its journal and its runner lock are keyed by it (letters, digits, \'.\', \'_\', \'-\'), got "a name with spaces"',
      '3:18 routes.match: expected at least 1 entry',
      '3:32 routes.exclude[0]: expected a non-empty text',
      '4:13 minSamples: expected a number >= 1, got 0',
      '7:13 stages[0].window: expected "always" (the word always), got "sometimes"',
      '8:31 stages[0].actions.drain.rate: expected a number > 0, got 0',
      '8:44 stages[0].actions.retire: missing key "quiet"',
      '9:22 stages[0].gates.manual: expected true, or the text to show: waits for `cutover playbook approve`, got 3',
      '9:30 stages[0].gates.p99: expected at least one of: maxMs, maxRatio, graceMs, path, minSamples',
      '9:53 stages[0].gates.queueDepth.max: expected a number >= 0, got -1',
    ])
  })

  it('graceMs without maxRatio is a problem at its key', () => {
    const r = problemsOf(`${HEAD}  - name: one\n    actions: { mode: canary, percent: 10 }\n    gates: { p99: { maxMs: 100, graceMs: 20 } }\n`)
    expect(r.problems.map(at)).toEqual(['8:33 stages[0].gates.p99.graceMs: graceMs widens maxRatio; it needs maxRatio'])
  })

  it('a YAML syntax error is a parse error with its position', () => {
    const r = problemsOf('version: 1\nname: t\nroutes:\n  match: [a\nstages: []\n')
    expect(r.code).toBe('CUTOVER_ERR_PLAYBOOK_PARSE')
    expect(r.problems[0]).toMatchObject({ file: 'pb.yaml', line: 5, column: 1 })
  })

  it('a duplicate key is a parse error', () => {
    const r = problemsOf('version: 1\nname: t\nname: u\n')
    expect(r.code).toBe('CUTOVER_ERR_PLAYBOOK_PARSE')
    expect(r.problems.map(at)).toEqual(['3:1 (yaml): Map keys must be unique'])
  })

  it('rules beyond the schema: gates that could read nothing, actions out of place, names, order, time zone', () => {
    const r = problemsOf(`version: 1
name: t
window: { timezone: Mars/Olympus, days: [mon] }
routes: { match: [a] }
stages:
  - name: s
    actions: { mode: canary, shadowRate: 0.1 }
    gates: { shadowMatchRate: { min: 0.9 }, errorRate: { maxIncrease: 0.01, path: legacy } }
  - name: q
    scope: queue
    actions: { mode: "on", drain: { rate: 10, ramp: { from: 1, to: 2, over: 1h } } }
    gates: { p99: { maxMs: 10 } }
  - name: s
    actions: { drain: { state: stopped } }
`)
    expect(r.problems.map(at)).toEqual([
      '3:21 window.timezone: expected an IANA time zone such as Europe/Berlin or UTC, got "Mars/Olympus"',
      '7:22 stages[0].actions.mode: mode canary needs a percent (0..100) beside it',
      '7:30 stages[0].actions.shadowRate: shadowRate goes with mode: shadow',
      '8:31 stages[0].gates.shadowMatchRate: shadowMatchRate reads shadow samples, which are taken only in mode shadow (this stage: canary)',
      '8:58 stages[0].gates.errorRate.maxIncrease: maxIncrease compares the page path with the legacy path; it needs path: page',
      '11:16 stages[1].actions.mode: "mode" belongs in a stage with scope: route',
      '11:35 stages[1].actions.drain: a running drain needs exactly one of rate (jobs/s) or ramp { from, to, over }',
      '12:14 stages[1].gates.p99: a queue stage takes only queueDepth and manual gates, got p99',
      '13:5 stages[2]: route stage "s" comes after queue stage "q"; route stages come first',
      '13:11 stages[2].name: stage name "s" is used twice (stages 0 and 2); names must be unique',
      '14:16 stages[2].actions.drain: "drain" belongs in a stage with scope: queue',
    ])
  })

  it('a traffic gate needs a path with traffic, and an all-page stage needs a legacy stage before it to compare with', () => {
    const r = problemsOf(`${HEAD}  - name: one\n    actions: { mode: "on" }\n    gates: { p99: { maxRatio: 2 }, dbCallsPerRequest: { max: 3, path: legacy } }\n  - name: two\n    actions: { mode: shadow }\n    gates: { errorRate: { max: 0.1, path: page } }\n`)
    expect(r.problems.map(at)).toEqual([
      '8:21 stages[0].gates.p99.maxRatio: maxRatio in mode on compares with the legacy path of the stage before, and no earlier stage serves legacy traffic',
      '8:55 stages[0].gates.dbCallsPerRequest: dbCallsPerRequest reads the legacy path, which has no user traffic in mode on',
      '11:25 stages[1].gates.errorRate: errorRate reads the page path, which has no user traffic in mode shadow; use it in canary or on stages, or set path: legacy',
    ])
  })

  it('durations and windows compile; a stage may lift the window', () => {
    const p = parsePlaybook(`version: 1
name: t
window: { timezone: Europe/Berlin, days: [fri, mon], hours: ["09:00-12:00", "13:00-17:30"] }
routes: { match: [a, "b.*"], exclude: [b.x], concurrency: 2 }
stages:
  - { name: one, hold: 1h30m, actions: { mode: shadow } }
  - { name: two, hold: 2d, window: always, actions: { mode: canary, percent: 5, queueGate: default } }
`, 'pb.yaml')
    expect(p.stages[0]).toMatchObject({ holdMs: 5_400_000, window: { timezone: 'Europe/Berlin', days: [1, 5], hours: [{ start: 540, end: 720 }, { start: 780, end: 1050 }] } })
    expect(p.stages[1]).toMatchObject({ holdMs: 172_800_000, window: undefined, queueGate: null, flag: { mode: 'canary', percent: 5 } })
    expect(p.routes).toEqual({ match: ['a', 'b.*'], exclude: ['b.x'], concurrency: 2 })
    expect(p.usesQueue).toBe(true)
  })
})
