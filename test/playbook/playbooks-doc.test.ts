import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const read = (path: string): string => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('docs/playbooks.md', () => {
  it('annotates the shipped default playbook line by line, and the copy is the file', () => {
    const doc = read('docs/playbooks.md')
    const block = /## The default playbook, line by line[\s\S]*?```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? ''
    const lines = block.split('\n')
    // Every line that says something (not blank, not a comment of the file) carries a note.
    expect(lines.filter((l) => l.trim() !== '' && !l.trim().startsWith('#') && !l.includes('  # <- '))).toEqual([])
    expect(block.replace(/ {2}# <- .*$/gm, '')).toBe(read('playbooks/week.yaml'))
  })

  it('lists every playbook command and error code', () => {
    const doc = read('docs/playbooks.md')
    for (const c of ['validate', 'plan', 'apply', 'status', 'approve', 'pause', 'resume', 'rollback']) expect(doc).toContain(`cutover playbook ${c} <file>`)
    const readme = read('README.md')
    expect(readme).toContain('docs/playbooks.md')
  })
})
