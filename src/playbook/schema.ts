import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

/** The JSON Schema shipped beside the playbooks (`playbooks/` next to `src/` or `dist/`). */
export const PLAYBOOK_SCHEMA_PATH = fileURLToPath(new URL('../../playbooks/playbook.schema.json', import.meta.url))

/** One thing wrong in a playbook: where (a path into the document) and what was expected. */
export interface Problem {
  path: ReadonlyArray<string | number>
  message: string
  /** Point at the key of the last path segment rather than its value (an unknown key). */
  atKey?: boolean
}

let validator: ValidateFunction | undefined

function compiled(): ValidateFunction {
  if (!validator) {
    const schema = JSON.parse(readFileSync(PLAYBOOK_SCHEMA_PATH, 'utf8')) as object
    // verbose: errors carry their schema, whose description says what was expected.
    const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true })
    validator = ajv.compile(schema)
  }
  return validator
}

const show = (value: unknown): string => {
  if (value === null) return 'null'
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'a mapping'
  return JSON.stringify(value)
}

/** `/stages/2/hold` -> ['stages', 2, 'hold'] */
function pathOf(pointer: string): Array<string | number> {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s))
}

function expected(e: ErrorObject): string | undefined {
  const description = (e.parentSchema as { description?: unknown } | undefined)?.description
  return typeof description === 'string' ? description : undefined
}

function keysOf(e: ErrorObject): string {
  const properties = (e.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties
  return Object.keys(properties ?? {}).join(', ')
}

function messageOf(e: ErrorObject): string | undefined {
  const p = e.params as Record<string, unknown>
  const got = show(e.data)
  switch (e.keyword) {
    case 'required':
      return `missing key "${String(p.missingProperty)}"`
    case 'additionalProperties':
      return `unknown key "${String(p.additionalProperty)}"; expected one of: ${keysOf(e)}`
    case 'type':
      return `expected ${expected(e) ?? `a ${String(p.type)}`}, got ${got}`
    case 'enum':
      return `expected one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${got}`
    case 'const':
      return `expected ${JSON.stringify(p.allowedValue)}${expected(e) ? ` (${expected(e)})` : ''}, got ${got}`
    case 'pattern':
      return `expected ${expected(e) ?? `text matching ${String(p.pattern)}`}, got ${got}`
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `expected a number ${String(p.comparison)} ${String(p.limit)}, got ${got}`
    case 'minItems':
      return `expected at least ${String(p.limit)} entr${p.limit === 1 ? 'y' : 'ies'}`
    case 'uniqueItems':
      return `expected no repeated entries (entries ${String(p.j)} and ${String(p.i)} are equal)`
    case 'minLength':
      return 'expected a non-empty text'
    case 'maxLength':
      return `expected at most ${String(p.limit)} characters`
    case 'minProperties':
      return `expected at least one of: ${keysOf(e)}`
    case 'if':
      return undefined // the failing branch reports the reason
    default:
      return `${e.message ?? 'is invalid'}${expected(e) ? ` (expected ${expected(e)})` : ''}`
  }
}

/** Validates a parsed document against playbook.schema.json; every problem found, in document order. */
export function schemaProblems(document: unknown): Problem[] {
  const validate = compiled()
  if (validate(document)) return []
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const e of validate.errors ?? []) {
    const message = messageOf(e)
    if (message === undefined) continue
    const path = pathOf(e.instancePath)
    if (e.keyword === 'additionalProperties') path.push(String((e.params as { additionalProperty: string }).additionalProperty))
    const key = JSON.stringify(path) + message
    if (seen.has(key)) continue
    seen.add(key)
    problems.push({ path, message, ...(e.keyword === 'additionalProperties' ? { atKey: true } : {}) })
  }
  return problems
}

/** `stages[2].gates.p99` */
export function formatPath(path: ReadonlyArray<string | number>): string {
  let out = ''
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? seg : `.${seg}`
  return out === '' ? '(top level)' : out
}
