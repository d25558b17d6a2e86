#!/usr/bin/env node
// Runs the compiled CLI when the package is built (an installed package),
// and the TypeScript sources through tsx in a checkout of the repository.
import { existsSync } from 'node:fs'

const compiled = new URL('../dist/cli/main.js', import.meta.url)
if (existsSync(compiled)) {
  await import(compiled.href)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL('../src/cli/main.ts', import.meta.url).href)
}
