import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { cruise, type IForbiddenRuleType } from 'dependency-cruiser'
import { afterAll, describe, expect, it } from 'vitest'

const root = resolve(import.meta.dirname, '..')
const { forbidden } = createRequire(import.meta.url)(join(root, '.dependency-cruiser.cjs')) as { forbidden: IForbiddenRuleType[] }

async function violations(baseDir: string): Promise<string[]> {
  const result = await cruise(['src'], { ruleSet: { forbidden }, validate: true, tsPreCompilationDeps: true, baseDir })
  if (typeof result.output === 'string') throw new Error('expected a cruise result object')
  return result.output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)
}

describe('the import rules of src/ (.dependency-cruiser.cjs, run by npm run lint)', () => {
  const fixture = mkdtempSync(join(tmpdir(), 'cutover-layers-'))
  afterAll(() => rmSync(fixture, { recursive: true, force: true }))

  const write = (files: Record<string, string>): void => {
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(fixture, path)), { recursive: true })
      writeFileSync(join(fixture, path), text)
    }
  }

  it('hold for the project', async () => {
    expect(await violations(root)).toEqual([])
  })

  it('catch an upward import, a sideways one, an import cycle and an area with no layer', async () => {
    write({
      'src/errors.ts': 'export const e = 1\n',
      'src/flags/source.ts': "export const f = 1\n",
      'src/pagecache/key.ts': "import { f } from '../flags/source.js'\nexport const k = f\n",
      'src/meter/meter.ts': "import { run } from '../plugin.js'\nexport const m = run\n",
      'src/plugin.ts': "import { m } from './meter/meter.js'\nexport const run = () => m\n",
      'src/extra/thing.ts': "export const t = 1\n",
      'src/db/migrate.ts': "import { t } from '../extra/thing.js'\nexport const d = t\n",
    })
    const found = await violations(fixture)
    expect(found).toContain('layer-pagecache: src/pagecache/key.ts -> src/flags/source.ts')
    expect(found).toContain('layer-meter: src/meter/meter.ts -> src/plugin.ts')
    expect(found.some((v) => v.startsWith('no-circular:'))).toBe(true)
    expect(found).toContain('no-unlisted-area: src/db/migrate.ts -> src/extra/thing.ts')
  })
})
