import { describe, expect, it } from 'vitest'
import type { EventBody } from '../../src/playbook/events.js'
import { DAY, healthy, HOUR, MONDAY_10, playbookOf, Simulation } from '../helpers/playbook-sim.js'

const MIN = 60_000

const PLAYBOOK = playbookOf(`
version: 1
name: t
window: { timezone: UTC, days: [mon, tue, wed, thu, fri], hours: ["09:00-17:00"] }
routes: { match: [a, b], concurrency: 1 }
minSamples: 100
stages:
  - name: measure
    actions: { mode: "off", queueGate: dedupe }
    hold: 1h
  - name: shadow
    actions: { mode: shadow, shadowRate: 0.5 }
    hold: 2h
    gates: { shadowMatchRate: { min: 0.99 }, logicMismatches: { max: 0 } }
  - name: canary
    actions: { mode: canary, percent: 10 }
    hold: 1h
    gates: { errorRate: { maxIncrease: 0.01 }, manual: true }
  - name: "on"
    actions: { mode: "on", queueGate: drop }
    hold: 1h
    gates: { p99: { maxRatio: 1.5 } }
  - name: drain
    scope: queue
    actions: { drain: { rate: 100 } }
    gates: { queueDepth: { max: 0, minSamples: 2 } }
  - name: retire
    scope: queue
    actions: { retire: { quiet: 10m } }
`)

const kinds = (events: EventBody[]): string[] =>
  events.map((e) => ('stage' in e && 'route' in e && e.kind === 'stage_entered' ? `${e.kind}:${e.route}:${e.stage}` : 'route' in e && e.route ? `${e.kind}:${e.route}` : e.kind))

function simulation(start = MONDAY_10, scale = 1): Simulation {
  const sim = new Simulation(PLAYBOOK, ['a', 'b'], { start, scale })
  sim.routeReadings.set('a', healthy())
  sim.routeReadings.set('b', healthy())
  return sim
}

describe('stage machine: holds and windows', () => {
  it('enters the first stage, writes its flag and gate once, and advances only when the hold is spent', () => {
    const sim = simulation()
    expect(kinds(sim.tick())).toEqual(['stage_entered:a:measure', 'flag_write:a', 'queue_gate_write:a'])
    expect(sim.state.routes.get('a')?.written).toEqual({ flag: { mode: 'off' }, queueGate: 'dedupe' })
    expect(kinds(sim.run(59 * MIN, MIN))).toEqual([])
    expect(kinds(sim.run(MIN, MIN))).toEqual(['stage_entered:a:shadow', 'flag_write:a'])
    // b waits: one route at a time.
    expect(sim.statusOf('b')).toBeUndefined()
  })

  it('advances only inside the window: a hold ending after hours waits for the next working morning', () => {
    const sim = simulation(Date.UTC(2024, 5, 7, 16, 30)) // Friday 16:30
    expect(kinds(sim.tick())).toContain('stage_entered:a:measure')
    // The hold ends at 17:30, after hours; Saturday and Sunday are outside too.
    const events = sim.run(3 * DAY, 10 * MIN)
    const entered = sim.events.find((e) => e.body.kind === 'stage_entered' && e.body.stage === 'shadow')
    expect(kinds(events)[0]).toBe('stage_entered:a:shadow')
    expect(new Date(entered?.wall ?? 0).toISOString()).toBe('2024-06-10T09:00:00.000Z')
  })

  it('does not start a route outside the window', () => {
    const sim = simulation(Date.UTC(2024, 5, 8, 12, 0)) // Saturday
    expect(sim.run(DAY, HOUR)).toEqual([])
    sim.run(20 * HOUR, HOUR) // Monday 08:00
    expect(sim.stageOf('a')).toBeUndefined()
    sim.run(HOUR, HOUR) // Monday 09:00
    expect(sim.stageOf('a')).toBe('measure')
  })

  it('--time-scale divides holds and the window clock: a 1h hold takes a minute at 60x', () => {
    const sim = simulation(Date.UTC(2024, 5, 7, 15, 0), 60) // Friday 15:00
    sim.tick()
    sim.run(59 * 1000, 1000)
    expect(sim.stageOf('a')).toBe('measure')
    sim.run(1000, 1000)
    expect(sim.stageOf('a')).toBe('shadow')
    expect(sim.events.at(-2)?.scaled).toBe(Date.UTC(2024, 5, 7, 16, 0))
    // The shadow hold (2h) ends at 18:00 on the playbook clock: the weekend, then Monday 09:00
    // on the playbook clock is 65h after the shadow stage began there, 65 minutes of wall time.
    sim.run(64 * MIN, 10 * 1000)
    expect(sim.stageOf('a')).toBe('shadow')
    sim.run(2 * MIN, 10 * 1000)
    const canary = sim.events.find((e) => e.body.kind === 'stage_entered' && e.body.stage === 'canary')
    expect(new Date(canary?.scaled ?? 0).toISOString()).toBe('2024-06-10T09:00:00.000Z')
    expect(canary?.wall).toBe(Date.UTC(2024, 5, 7, 15, 0) + (66 * HOUR) / 60)
  })
})

describe('stage machine: gates', () => {
  it('holds while a gate has fewer samples than its minimum, even with mismatches among them', () => {
    const sim = simulation()
    sim.tick()
    sim.run(HOUR, 10 * MIN)
    expect(sim.stageOf('a')).toBe('shadow')
    sim.routeReadings.set('a', { shadow: { compared: 60, matches: 50, logic: 10, leaks: 0, errors: 0 } })
    expect(kinds(sim.run(4 * HOUR, 10 * MIN))).toEqual([])
    expect(sim.readings.at(-1)).toMatchObject({ route: 'a', stage: 'shadow', verdict: 'hold', detail: '60 of 100 compared shadow samples needed' })
    sim.routeReadings.set('a', healthy())
    sim.run(10 * MIN, 10 * MIN)
    expect(sim.stageOf('a')).toBe('canary')
  })

  it('a manual gate waits for approve; the approval is used up when the route leaves the stage', () => {
    const sim = simulation()
    sim.tick()
    sim.run(3 * HOUR, 10 * MIN)
    expect(sim.stageOf('a')).toBe('canary')
    sim.run(3 * HOUR, 10 * MIN)
    expect(sim.stageOf('a')).toBe('canary')
    expect(sim.readings.filter((r) => r.gate === 'manual').at(-1)?.verdict).toBe('hold')
    sim.append({ kind: 'approved', route: 'a', stage: 'canary', by: 'alice' })
    sim.run(10 * MIN, 10 * MIN)
    expect(sim.stageOf('a')).toBe('on')
    expect(sim.state.routes.get('a')?.approvals).toEqual([])
  })

  it('a failed gate steps back one stage and holds; a second failure rolls the route back to off and parks it', () => {
    const sim = simulation()
    sim.tick()
    sim.run(HOUR, 10 * MIN)
    sim.routeReadings.set('a', { shadow: { compared: 150, matches: 140, logic: 10, leaks: 0, errors: 0 } })
    const first = sim.run(10 * MIN, 10 * MIN)
    expect(kinds(first)).toEqual(['gate_failed:a', 'stage_entered:a:measure', 'flag_write:a'])
    expect(first[0]).toMatchObject({ gates: ['shadowMatchRate', 'logicMismatches'], failures: 1 })
    expect(sim.state.routes.get('a')?.written.flag).toEqual({ mode: 'off' })
    // measure holds again for its hour (its readings are those of the new window).
    sim.routeReadings.set('a', healthy())
    sim.run(50 * MIN, 10 * MIN)
    expect(sim.stageOf('a')).toBe('measure')
    sim.run(10 * MIN, 10 * MIN)
    expect(sim.stageOf('a')).toBe('shadow')
    sim.routeReadings.set('a', { shadow: { compared: 150, matches: 149, logic: 1, leaks: 0, errors: 0 } })
    const second = sim.run(10 * MIN, 10 * MIN)
    expect(kinds(second)).toEqual(['gate_failed:a', 'rolled_back:a', 'flag_write:a', 'queue_gate_write:a'])
    expect(second[1]).toMatchObject({ reason: 'gate', resumeAt: 'measure' })
    expect(sim.state.routes.get('a')).toMatchObject({ status: 'parked', written: { flag: { mode: 'off' }, queueGate: null } })
    // The slot is free: b starts on the next tick; a stays off.
    sim.run(10 * MIN, 10 * MIN)
    expect(sim.stageOf('b')).toBe('measure')
    sim.run(DAY, HOUR)
    expect(sim.statusOf('a')).toBe('parked')
    sim.append({ kind: 'resumed', route: 'a', by: 'dana' })
    expect(sim.state.routes.get('a')).toMatchObject({ status: 'waiting', next: 'measure', failures: 0 })
  })

  it('the on stage compares the page path with the legacy path of the stage before', () => {
    const sim = simulation()
    sim.tick()
    sim.run(3 * HOUR, 10 * MIN)
    sim.append({ kind: 'approved', route: 'a', stage: 'canary', by: 'alice' })
    sim.run(HOUR, 10 * MIN)
    expect(sim.stageOf('a')).toBe('on')
    sim.routeReadings.set('a', { page: { requests: 500, errors: 0, dbCalls: 0, refreshJobs: 0, p99Ms: 40 }, baseline: { requests: 500, errors: 0, dbCalls: 0, refreshJobs: 0, p99Ms: 20 } })
    expect(kinds(sim.run(10 * MIN, 10 * MIN))).toEqual(['gate_failed:a', 'stage_entered:a:canary', 'flag_write:a', 'queue_gate_write:a'])
    expect(sim.readings.at(-1)?.detail).toBe('page p99 40ms vs legacy 20ms: x2.00 (at most x1.5)')
  })
})

describe('stage machine: people', () => {
  it('a rollback is carried out at any time, even outside the window, and the route stays off', () => {
    const sim = simulation(Date.UTC(2024, 5, 7, 15, 0)) // Friday 15:00
    sim.tick()
    sim.run(HOUR, 10 * MIN)
    sim.now = Date.UTC(2024, 5, 8, 3, 0) // Saturday 03:00
    sim.append({ kind: 'rolled_back', route: 'a', stage: 'shadow', reason: 'manual', by: 'bob', resumeAt: 'measure', detail: 'by hand', target: { flag: { mode: 'off' }, queueGate: null } })
    expect(kinds(sim.tick())).toEqual(['flag_write:a', 'queue_gate_write:a'])
    expect(sim.state.routes.get('a')?.written.flag).toEqual({ mode: 'off' })
    sim.run(3 * DAY, HOUR)
    expect(sim.statusOf('a')).toBe('parked')
  })

  it('resume puts a parked route back at the stage before the failure, with its failures forgotten', () => {
    const sim = simulation()
    sim.tick()
    sim.append({ kind: 'rolled_back', route: 'a', stage: 'measure', reason: 'manual', by: 'bob', resumeAt: 'measure', detail: 'by hand', target: { flag: { mode: 'off' }, queueGate: null } })
    sim.tick()
    sim.run(2 * HOUR, 10 * MIN)
    expect(sim.stageOf('b')).toBe('shadow')
    sim.append({ kind: 'resumed', route: 'a', by: 'bob', stage: 'shadow' })
    // One slot, held by b: a waits for it.
    expect(sim.statusOf('a')).toBe('waiting')
    sim.run(DAY, 10 * MIN)
    expect(sim.stageOf('b')).toBe('canary')
    expect(sim.statusOf('a')).toBe('waiting')
    sim.append({ kind: 'approved', route: 'b', stage: 'canary', by: 'alice' })
    sim.run(DAY, 10 * MIN)
    expect(sim.statusOf('b')).toBe('done')
    expect(kinds(sim.events.map((e) => e.body)).filter((k) => k.startsWith('stage_entered:a'))).toEqual(['stage_entered:a:measure', 'stage_entered:a:shadow', 'stage_entered:a:canary'])
    expect(sim.state.routes.get('a')?.failures).toBe(0)
    expect(sim.events.find((e) => e.body.kind === 'stage_entered' && e.body.route === 'a' && e.body.stage === 'shadow')?.body).toMatchObject({ reason: 'resume' })
  })

  it('pause stops every decision; resume carries on from the same stage with the hold already spent', () => {
    const sim = simulation()
    sim.tick()
    sim.append({ kind: 'paused', route: null, by: 'carol' })
    expect(sim.run(5 * HOUR, 10 * MIN)).toEqual([])
    expect(sim.readings).toEqual([])
    sim.append({ kind: 'resumed', route: null, by: 'carol' })
    expect(kinds(sim.tick())).toEqual(['stage_entered:a:shadow', 'flag_write:a'])
  })

  it('a paused route keeps its stage while the others carry on', () => {
    const sim = new Simulation(playbookOf(PLAYBOOK_TWO_AT_ONCE), ['a', 'b'])
    sim.routeReadings.set('a', healthy())
    sim.routeReadings.set('b', healthy())
    sim.tick()
    sim.append({ kind: 'paused', route: 'a', by: 'carol' })
    sim.run(2 * HOUR, 10 * MIN)
    expect([sim.stageOf('a'), sim.stageOf('b')]).toEqual(['one', 'two'])
  })
})

const PLAYBOOK_TWO_AT_ONCE = `
version: 1
name: two
routes: { match: [a, b], concurrency: 2 }
stages:
  - { name: one, actions: { mode: shadow }, hold: 1h }
  - { name: two, actions: { mode: "on" }, hold: 1h }
`

describe('stage machine: queue stages', () => {
  it('start once every route is done or parked, wait for the queue to stay empty, retire it and complete', () => {
    const sim = simulation()
    sim.routeReadings.set('b', healthy())
    sim.tick()
    sim.append({ kind: 'rolled_back', route: 'a', stage: 'measure', reason: 'manual', by: 'bob', resumeAt: 'measure', detail: 'by hand', target: { flag: { mode: 'off' }, queueGate: null } })
    sim.tick()
    sim.run(3 * HOUR + 10 * MIN, 10 * MIN)
    sim.append({ kind: 'approved', route: 'b', stage: 'canary', by: 'alice' })
    sim.queue = { depth: 500, inFlight: 10 }
    const toDrain = sim.run(2 * HOUR, 10 * MIN)
    expect(kinds(toDrain)).toEqual(['stage_entered:b:on', 'flag_write:b', 'queue_gate_write:b', 'route_done:b', 'queue_stage_entered', 'drain_write'])
    expect(toDrain.at(-1)).toMatchObject({ drain: { state: 'running', rate: 100 } })
    expect(sim.run(HOUR, 10 * MIN)).toEqual([])
    sim.queue = { depth: 0, inFlight: 0 }
    expect(kinds(sim.run(10 * MIN, 10 * MIN))).toEqual([])
    expect(kinds(sim.run(10 * MIN, 10 * MIN))).toEqual(['queue_stage_entered', 'retired'])
    expect(sim.state.queue.target.retire).toEqual({ quietMs: 600_000 })
    expect(kinds(sim.run(10 * MIN, 10 * MIN))).toEqual(['completed'])
    expect(sim.events.at(-1)?.body).toEqual({ kind: 'completed', done: ['b'], parked: ['a'] })
    expect(sim.run(DAY, HOUR)).toEqual([])
  })
})
