import { type CompiledRules, diffJson, type PathDiff } from './json-diff.js'
import { diffText } from './text-diff.js'

export interface ResponseSide {
  status: number
  headers: Record<string, string | string[] | number | undefined>
  body: Buffer
}

/** Headers compared between control and candidate; Set-Cookie by presence only. */
export const COMPARED_HEADERS: readonly string[] = ['content-type', 'cache-control', 'vary', 'etag']

export interface ParsedBody {
  text: string
  /** The parsed body when it is JSON, else undefined. */
  json: unknown
}

function header(h: ResponseSide['headers'], name: string): string | undefined {
  for (const [k, v] of Object.entries(h)) {
    if (k.toLowerCase() === name && v !== undefined) return Array.isArray(v) ? v.join(', ') : String(v)
  }
  return undefined
}

const parsed = new WeakMap<Buffer, ParsedBody>()

/** The body as text and, when it is JSON, parsed (memoized per body buffer: one sample compares a body several times). */
export function parseBody(side: ResponseSide): ParsedBody {
  const hit = parsed.get(side.body)
  if (hit) return hit
  const result = parseUncached(side)
  parsed.set(side.body, result)
  return result
}

function parseUncached(side: ResponseSide): ParsedBody {
  const text = side.body.toString('utf8')
  const type = header(side.headers, 'content-type') ?? ''
  if (/\bjson\b/i.test(type) || /^\s*[[{]/.test(text)) {
    try {
      return { text, json: JSON.parse(text) as unknown }
    } catch {
      return { text, json: undefined }
    }
  }
  return { text, json: undefined }
}

export interface ComparedResponses {
  diffs: PathDiff[]
  equal: boolean
  truncated: boolean
}

/**
 * Compares status, chosen headers and body. Status and headers appear as
 * pseudo-paths `@status` and `@header/<name>`; a non-JSON body as `@body`
 * (with its changed line counts). ETag is compared only when both sides set one.
 */
export function compareResponses(control: ResponseSide, candidate: ResponseSide, rules: CompiledRules, maxEditLength = 2000): ComparedResponses {
  const diffs: PathDiff[] = []
  if (control.status !== candidate.status) {
    diffs.push({ path: '@status', shape: '@status', kind: 'value', control: control.status, candidate: candidate.status })
  }
  for (const name of COMPARED_HEADERS) {
    const a = header(control.headers, name)
    const b = header(candidate.headers, name)
    if (name === 'etag' && (a === undefined || b === undefined)) continue
    if (a === b) continue
    const path = `@header/${name}`
    if (a === undefined) diffs.push({ path, shape: path, kind: 'extra', candidate: b })
    else if (b === undefined) diffs.push({ path, shape: path, kind: 'missing', control: a })
    else diffs.push({ path, shape: path, kind: 'value', control: a, candidate: b })
  }
  const cookieA = header(control.headers, 'set-cookie') !== undefined
  const cookieB = header(candidate.headers, 'set-cookie') !== undefined
  if (cookieA !== cookieB) {
    diffs.push({ path: '@header/set-cookie', shape: '@header/set-cookie', kind: cookieA ? 'missing' : 'extra' })
  }
  // Byte-equal bodies have no difference any rule could report (rules only ignore or normalize): skip parsing.
  if (control.body.equals(candidate.body)) return { diffs, equal: diffs.every((d) => d.ignored !== undefined), truncated: false }
  const pa = parseBody(control)
  const pb = parseBody(candidate)
  let truncated = false
  if (pa.json !== undefined && pb.json !== undefined) {
    const r = diffJson(pa.json, pb.json, rules)
    diffs.push(...r.diffs)
    truncated = r.truncated
  } else if (pa.text !== pb.text) {
    const s = diffText(pa.text, pb.text, maxEditLength)
    diffs.push({ path: '@body', shape: '@body', kind: 'value', control: `${s.removed} lines`, candidate: `${s.added} lines${s.tooLarge ? ' (too different to diff)' : ''}` })
  }
  return { diffs, equal: diffs.every((d) => d.ignored !== undefined), truncated }
}
