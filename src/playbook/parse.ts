import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml'
import { CUTOVER_ERR_PLAYBOOK_INVALID, CUTOVER_ERR_PLAYBOOK_PARSE } from '../errors.js'
import { compilePlaybook, type RawPlaybook } from './compile.js'
import type { Playbook } from './model.js'
import { formatPath, schemaProblems, type Problem } from './schema.js'

/** A problem with its place in the file (line and column from 1). */
export interface PlacedProblem {
  file: string
  line: number
  column: number
  /** `stages[2].hold` */
  path: string
  message: string
}

type Located = { range?: [number, number, number] | null | undefined }

function rangeOf(node: unknown): number | undefined {
  return (node as Located | null)?.range?.[0] ?? undefined
}

/** The offset of the node at `path` (or of the deepest node on the way there that exists). */
function offsetOf(doc: Document, path: ReadonlyArray<string | number>, atKey: boolean): number {
  let node: unknown = doc.contents
  let offset = rangeOf(node) ?? 0
  for (let i = 0; i < path.length; i++) {
    const seg = path[i]
    const last = i === path.length - 1
    if (isMap(node)) {
      const pair = (node.items as Pair[]).find((p) => (isScalar(p.key) ? p.key.value : p.key) === seg)
      if (!pair) break
      if (last && atKey) return rangeOf(pair.key) ?? offset
      // `key:` with nothing after it: point at the key.
      offset = rangeOf(pair.value) ?? rangeOf(pair.key) ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | undefined
      if (!item) break
      offset = rangeOf(item) ?? offset
      node = item
    } else {
      break
    }
  }
  return offset
}

function place(file: string, doc: Document, lines: LineCounter, problem: Problem): PlacedProblem {
  const { line, col } = lines.linePos(offsetOf(doc, problem.path, problem.atKey === true))
  return { file, line, column: col, path: formatPath(problem.path), message: problem.message }
}

export function formatProblem(p: PlacedProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.path}: ${p.message}`
}

/**
 * Parses and validates a playbook's text. Throws CUTOVER_ERR_PLAYBOOK_PARSE
 * for YAML that does not parse and CUTOVER_ERR_PLAYBOOK_INVALID for one that
 * breaks the schema or the rules beyond it; both carry `problems` with file,
 * line and column, and list them all in the message.
 */
export function parsePlaybook(text: string, file: string): Playbook {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true })
  if (doc.errors.length > 0) {
    const problems = doc.errors.map((e) => {
      const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0])
      const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '')
      return { file, line: pos.line, column: pos.col, path: '(yaml)', message }
    })
    throw Object.assign(new CUTOVER_ERR_PLAYBOOK_PARSE(file, problems.map(formatProblem).join('\n')), { problems })
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 })
  let problems: Problem[] = schemaProblems(raw)
  let playbook: Playbook | undefined
  if (problems.length === 0) {
    problems = []
    playbook = compilePlaybook(raw as RawPlaybook, { file, hash: createHash('sha256').update(text).digest('hex') }, problems)
  }
  if (problems.length > 0 || !playbook) {
    const placed = problems.map((p) => place(file, doc, lines, p)).sort((a, b) => a.line - b.line || a.column - b.column)
    throw Object.assign(new CUTOVER_ERR_PLAYBOOK_INVALID(file, placed.map(formatProblem).join('\n')), { problems: placed })
  }
  return playbook
}

/** Reads a playbook file (see parsePlaybook). */
export async function loadPlaybook(file: string): Promise<Playbook> {
  return parsePlaybook(await readFile(file, 'utf8'), file)
}
