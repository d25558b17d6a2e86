// `npm run docs`: writes the generated reference pages (docs/reference/); `--check` exits 1 when one is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { generatedDocs } from './generated-docs.js'

const check = process.argv.includes('--check')
let stale = 0
for (const [path, text] of Object.entries(generatedDocs())) {
  const file = new URL(`../${path}`, import.meta.url)
  let current = ''
  try {
    current = readFileSync(file, 'utf8')
  } catch {
    current = ''
  }
  if (current === text) continue
  if (check) {
    console.error(`${path} is not current: run npm run docs`)
    stale++
  } else {
    writeFileSync(file, text)
    console.log(`wrote ${path}`)
  }
}
process.exitCode = stale > 0 ? 1 : 0
