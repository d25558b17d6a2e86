// The documentation pages made from the code: the CLI reference from the
// command definitions. `npm run docs` writes them; test/docs checks they are current.
import { commands } from '../src/cli/commands/index.js'
import { cliReference } from '../src/cli/reference.js'

/** Path (from the repository root) -> the page's text. */
export function generatedDocs(): Record<string, string> {
  return {
    'docs/reference/cli.md': cliReference(commands),
  }
}
