import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readShadowFigures } from '../../src/playbook/readings.js'
import { readShadowReadiness } from '../../src/report/shadow-readiness.js'
import { insertSamples, playbookIO, type PlaybookIO } from '../helpers/playbook-io.js'

let io: PlaybookIO
beforeAll(async () => {
  io = await playbookIO('pbreadings')
})
afterAll(async () => io.cleanup())

describe('shadow gate readings', () => {
  it('count what the shadow report counts, over the window asked for', async () => {
    const t = Date.UTC(2024, 5, 3)
    await insertSamples(io.db.pool, 'r', t, [
      ...Array.from({ length: 6 }, () => ({ outcome: 'match' as const })),
      { outcome: 'mismatch', cause: 'noise' },
      { outcome: 'mismatch', cause: 'staleness' },
      { outcome: 'mismatch', cause: 'logic' },
      { outcome: 'mismatch', cause: 'logic' },
      { outcome: 'mismatch', cause: 'leak' },
      { outcome: 'mismatch', cause: null },
      { outcome: 'error' },
    ])
    await insertSamples(io.db.pool, 'r', t - 1000, [{ outcome: 'mismatch', cause: 'logic' }])
    await insertSamples(io.db.pool, 'other', t, [{ outcome: 'mismatch', cause: 'logic' }])
    const figures = await readShadowFigures(io.db.pool, 'r', t, t + 60_000)
    expect(figures).toEqual({ compared: 12, matches: 7, logic: 2, leaks: 1, errors: 1 })
    const report = await readShadowReadiness(io.db.pool, { route: 'r', from: t, to: t + 60_000 })
    expect([report.samples, Math.round(report.matchRate.rate * report.samples), report.mismatches.logic, report.mismatches.leak, report.errors]).toEqual([
      figures.compared, figures.matches, figures.logic, figures.leaks, figures.errors,
    ])
  })
})
