// docs/reference/errors.md, made from the error registry (src/errors.ts): every
// code with its message, when it is thrown and how to fix it.
import type { ErrorHint } from '../src/errors.js'

/** What the reference reads of each registered error constructor. */
interface RegisteredError {
  readonly hint: ErrorHint
  new (...args: unknown[]): Error & { code: string; statusCode?: number }
}

/** The code's area: `CUTOVER_ERR_FLAGS_FILE_EMPTY` -> `FLAGS`. */
function areaOf(code: string): string {
  return code.split('_')[2] ?? ''
}

/** The message template (@fastify/error formats it with no arguments as it is), each `%s` shown as `…`. */
function messageOf(ctor: RegisteredError): string {
  return new ctor().message.replaceAll('%s', '…').replaceAll('\n', ' ')
}

/** The page for the given registry (the module's exports, by name). */
export function errorReference(registry: Record<string, unknown>): string {
  const entries = Object.entries(registry)
    .filter((e): e is [string, RegisteredError] => typeof e[1] === 'function' && 'hint' in e[1])
    .sort(([a], [b]) => a.localeCompare(b))
  const areas = [...new Set(entries.map(([code]) => areaOf(code)))]
  const out = [
    '# Error codes',
    '',
    '<!-- Made by `npm run docs` from the error registry in src/errors.ts; do not edit by hand. -->',
    '',
    'Every error cutover throws is made with [@fastify/error](https://github.com/fastify/fastify-error): it',
    'has a `code` (`CUTOVER_ERR_<AREA>_<WHAT>`), a message naming the thing and what was expected, and',
    'it is exported by its code from `cutover`, so `err instanceof CUTOVER_ERR_OPTIONS_INVALID` or',
    "`err.code === 'CUTOVER_ERR_OPTIONS_INVALID'` tells one apart. Each constructor's `hint` holds the two",
    'texts below. A CLI command exits 2 on `CUTOVER_ERR_CLI_USAGE` and 1 on any other error.',
    '',
    `Areas: ${areas.map((a) => `[${a}](#${a.toLowerCase()})`).join(' · ')}`,
    '',
  ]
  for (const area of areas) {
    out.push(`## ${area}`, '')
    for (const [code, ctor] of entries.filter(([c]) => areaOf(c) === area)) {
      out.push(`### ${code}`, '', `Message: \`${messageOf(ctor)}\``, '', `**When:** ${ctor.hint.when}`, '', `**How to fix:** ${ctor.hint.fix}`, '')
    }
  }
  return out.join('\n')
}
