import { createTwoFilesPatch, diffLines } from 'diff'
import { stableStringify } from './path-pattern.js'

export interface LineDiffSummary {
  /** Lines only in the control. */
  removed: number
  /** Lines only in the candidate. */
  added: number
  /** True when the texts were too different to diff within `maxEditLength`. */
  tooLarge: boolean
}

/**
 * Line difference of two non-JSON bodies. The Myers diff is bounded by
 * `maxEditLength` so a page that changed completely can't stall the process;
 * past the bound the summary says so and counts every line as changed.
 */
export function diffText(control: string, candidate: string, maxEditLength = 2000): LineDiffSummary {
  if (control === candidate) return { removed: 0, added: 0, tooLarge: false }
  const changes = diffLines(control, candidate, { maxEditLength })
  if (changes === undefined) {
    return { removed: countLines(control), added: countLines(candidate), tooLarge: true }
  }
  let removed = 0
  let added = 0
  for (const c of changes) {
    if (c.removed) removed += c.count
    else if (c.added) added += c.count
  }
  return { removed, added, tooLarge: false }
}

function countLines(s: string): number {
  if (s === '') return 0
  return s.split('\n').length - (s.endsWith('\n') ? 1 : 0)
}

/** Pretty text for a body: canonical, indented JSON when it parses, the text itself otherwise. */
export function prettyBody(body: string | undefined, json: unknown): string {
  if (json !== undefined) return stableStringify(json, 2) + '\n'
  const text = body ?? ''
  return text.endsWith('\n') || text === '' ? text : text + '\n'
}

/**
 * A unified diff (control as the old file, candidate as the new one) for a
 * report. Returns undefined when the texts are equal or too different to diff
 * within `maxEditLength`.
 */
export function unifiedDiff(
  labels: { control: string; candidate: string },
  control: string,
  candidate: string,
  maxEditLength = 2000,
): string | undefined {
  if (control === candidate) return undefined
  return createTwoFilesPatch(labels.control, labels.candidate, control, candidate, undefined, undefined, {
    context: 3,
    maxEditLength,
  })
}
