import { describe, expect, it } from 'vitest'
import { checkStory, storySettled } from '../../src/demo/week-story.js'
import type { EventBody } from '../../src/playbook/events.js'
import { cleanRoute, drainStage, entered, faultyRoute, flag, journal } from '../helpers/week-journal.js'

const ROUTES = ['products.list', 'categories.products', 'products.get']
const failing = (checks: Array<{ ok: boolean; text: string }>): string[] => checks.filter((c) => !c.ok).map((c) => c.text)

describe('the week demo checks its own story', () => {
  it('passes the scripted fault story: the faulty route caught, stepped back and rolled back, the others on, the queue drained', () => {
    const events = journal([...faultyRoute('products.list'), ...cleanRoute('categories.products'), ...cleanRoute('products.get'), drainStage])
    expect(failing(checkStory({ events, routes: ROUTES, faulty: 'products.list', drained: 5000 }))).toEqual([])
  })

  it('fails when the gate that should fail passed and the faulty route reached on', () => {
    const events = journal([...cleanRoute('products.list'), ...cleanRoute('categories.products'), ...cleanRoute('products.get'), drainStage])
    expect(failing(checkStory({ events, routes: ROUTES, faulty: 'products.list', drained: 5000 }))).toEqual([
      'products.list: the shadow gate caught the logic mismatch (0 logicMismatches failure(s))',
      'products.list: stepped back one stage after its first failed gate',
      'products.list: rolled back to off after its second failed gate',
      'products.list: never served a user from the faulty page path (no canary, no on)',
      'products.list: not done',
    ])
  })

  it('fails without faults when the queue did not drain, retire or complete, or a route stopped short of on', () => {
    const short: EventBody[] = [entered('products.get', 'measure', 'start'), flag('products.get', 'off')]
    const events = journal([...cleanRoute('products.list'), ...cleanRoute('categories.products'), ...short])
    expect(failing(checkStory({ events, routes: ROUTES, faulty: undefined, drained: 0 }))).toEqual([
      'products.get: through measure, shadow, canary 10% and 50% to on',
      'the queue entered its drain stage once every route was settled',
      'the drainer worked the backlog off (0 jobs refreshed, none dropped)',
      'the empty, quiet queue was retired',
      'the playbook completed',
    ])
    const done = journal([...cleanRoute('products.list'), ...cleanRoute('categories.products'), ...cleanRoute('products.get'), drainStage, { kind: 'retired', quietMs: 1 }, { kind: 'completed', done: ROUTES, parked: [] }])
    expect(failing(checkStory({ events: done, routes: ROUTES, faulty: undefined, drained: 12 }))).toEqual([])
  })

  it('settles on completion, or with a fault once the drain stage has held its time', () => {
    const events = journal([...faultyRoute('products.list'), drainStage])
    expect(storySettled({ events, routes: ROUTES, faulty: 'products.list', drained: 0 }, false)).toBe(false)
    expect(storySettled({ events, routes: ROUTES, faulty: 'products.list', drained: 0 }, true)).toBe(true)
    expect(storySettled({ events, routes: ROUTES, faulty: undefined, drained: 0 }, true)).toBe(false)
  })

  it('settles once every route is rolled back, since none can go further (was: ticked on to the deadline)', () => {
    const all = journal([...faultyRoute('products.list'), ...faultyRoute('categories.products'), ...faultyRoute('products.get')])
    expect(storySettled({ events: all, routes: ROUTES, faulty: 'products.list', drained: 0 }, false)).toBe(true)
    const two = journal([...faultyRoute('products.list'), ...faultyRoute('categories.products'), ...cleanRoute('products.get')])
    expect(storySettled({ events: two, routes: ROUTES, faulty: 'products.list', drained: 0 }, false)).toBe(false)
  })
})
