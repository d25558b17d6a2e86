// The documentation pages made from the code: the CLI reference from the
// command definitions, the error reference from the error registry.
// `npm run docs` writes them; test/docs checks they are current.
import { commands } from '../src/cli/commands/index.js'
import { cliReference } from '../src/cli/reference.js'
import * as errors from '../src/errors.js'
import { errorReference } from './error-reference.js'

/** Path (from the repository root) -> the page's text. */
export function generatedDocs(): Record<string, string> {
  return {
    'docs/reference/cli.md': cliReference(commands),
    'docs/reference/errors.md': errorReference(errors),
  }
}
