import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { generatedDocs } from '../scripts/generated-docs.js'

const root = resolve(import.meta.dirname, '..')

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? markdownFiles(path) : name.endsWith('.md') ? [path] : []
  })
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to dashes. */
function anchorsOf(text: string): Set<string> {
  const anchors = new Set<string>()
  for (const line of text.split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line)
    if (!m) continue
    const slug = (m[1] as string).trim().toLowerCase().replace(/<[^>]+>/g, '').replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-')
    let unique = slug
    for (let n = 1; anchors.has(unique); n++) unique = `${slug}-${n}`
    anchors.add(unique)
  }
  return anchors
}

const DOCS = [join(root, 'README.md'), join(root, 'CHANGELOG.md'), ...(existsSync(join(root, 'docs')) ? markdownFiles(join(root, 'docs')) : []), ...(existsSync(join(root, 'playbooks')) ? markdownFiles(join(root, 'playbooks')) : [])]

describe('documentation', () => {
  it.each(Object.entries(generatedDocs()))('%s is current (npm run docs)', (path, text) => {
    expect(readFileSync(join(root, path), 'utf8')).toBe(text)
  })

  it('README.md is under 250 lines and its first command block holds the two commands', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8')
    expect(readme.split('\n').length).toBeLessThan(250)
    const first = /```(?:sh|bash|shell)?\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
    expect(first).toMatch(/^npm install && npm run demo\b/m)
    expect(first).toMatch(/^npm test\b/m)
  })

  it('no generated report sits in the README outline', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8').replace(/```[\s\S]*?```/g, '')
    const headings = readme.split('\n').filter((line) => /^#{1,6}\s/.test(line))
    expect(headings.filter((h) => /shadow report|products\.list|not ready/i.test(h))).toEqual([])
  })

  it.each(DOCS.map((p) => [p.slice(root.length + 1), p]))('%s has no dead internal link', (_name, file) => {
    const text = readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '')
    const dead: string[] = []
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(target as string)) continue
      const [path, anchor] = (target as string).split('#') as [string, string | undefined]
      const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path))
      if (!existsSync(resolved)) {
        dead.push(`${target}: no such file`)
        continue
      }
      if (anchor && resolved.endsWith('.md') && !anchorsOf(readFileSync(resolved, 'utf8')).has(anchor)) dead.push(`${target}: no such heading`)
    }
    expect(dead).toEqual([])
  })
})
