import { describe, expect, it } from 'vitest'
import { decisions, delivery, scaledAtWall, stageSpans } from '../../src/report/timeline-model.js'
import { cleanRoute, drainStage, faultyRoute, HOUR, journal } from '../helpers/week-journal.js'

const ROUTES = ['products.list', 'products.get']

describe('timeline model from the journal', () => {
  const events = journal([...faultyRoute('products.list'), ...cleanRoute('products.get'), drainStage, { kind: 'retired', quietMs: 1 }])

  it('delivery figures: stages entered and promoted, change failure rate, time to restore, lead time shadow to on', () => {
    const d = delivery(events, ROUTES)
    expect(d.routes).toEqual([
      { route: 'products.list', stagesEntered: 4, promoted: 2, failures: 2, leadTimeScaledMs: null, leadTimeWallMs: null },
      // shadow flag written at event 4, on flag at event 10: six playbook hours.
      { route: 'products.get', stagesEntered: 5, promoted: 4, failures: 0, leadTimeScaledMs: 6 * HOUR, leadTimeWallMs: 6 * 3600 },
    ])
    expect(d.stagesEntered).toBe(9)
    expect(d.changeFailureRate).toBeCloseTo(2 / 9)
    // Each failure to the flag write that put the route back: step back (2 events later), rollback (2 later).
    expect(d.restores).toEqual([
      { route: 'products.list', scaledMs: 2 * HOUR, wallMs: 2 * 3600 },
      { route: 'products.list', scaledMs: 2 * HOUR, wallMs: 2 * 3600 },
    ])
  })

  it('decisions and stage spans for the time axis', () => {
    const marks = decisions(events)
    expect(marks.filter((m) => m.route === 'products.list').map((m) => m.kind)).toEqual(['passed', 'failed', 'stepped back', 'passed', 'failed', 'rolled back'])
    expect(marks.filter((m) => m.route === null).map((m) => m.kind)).toEqual(['passed', 'retired'])
    const spans = stageSpans(events, 9_999_999).filter((s) => s.route === 'products.list')
    expect(spans.map((s) => s.stage)).toEqual(['measure', 'shadow', 'measure', 'shadow', 'off (rolled back)'])
    expect(spans.every((s, i) => i === spans.length - 1 || s.to === spans[i + 1]?.from)).toBe(true)
    expect(spans.at(-1)?.to).toBe(9_999_999)
  })

  it('reads the playbook clock at a wall time from the journal', () => {
    expect(scaledAtWall(events, 1_000_000 + 3600 + 1800, 1000)).toBe((events[1]?.scaled ?? 0) + 1_800_000)
  })
})
