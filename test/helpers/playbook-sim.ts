import type { EventBody, GateReading, JournalEvent } from '../../src/playbook/events.js'
import type { RouteReadings, QueueReading } from '../../src/playbook/gates.js'
import { decide } from '../../src/playbook/machine.js'
import type { Playbook } from '../../src/playbook/model.js'
import { parsePlaybook } from '../../src/playbook/parse.js'
import { applyEvent, initialState, scaledAt, type RunState } from '../../src/playbook/state.js'
import { pendingActions } from '../../src/playbook/targets.js'

export const HOUR = 3_600_000
export const DAY = 24 * HOUR
/** Monday 2024-06-03 10:00 UTC. */
export const MONDAY_10 = Date.UTC(2024, 5, 3, 10, 0, 0)

export function playbookOf(yaml: string): Playbook {
  return parsePlaybook(yaml, 'test.yaml')
}

/**
 * The runner's loop without I/O: decide, journal in memory, then confirm
 * every pending write (as the runner does once they are made).
 */
export class Simulation {
  state: RunState
  events: JournalEvent[] = []
  readings: GateReading[] = []
  streaks = new Map<string, number>()
  now: number
  routeReadings = new Map<string, RouteReadings>()
  queue: QueueReading | undefined

  constructor(
    readonly playbook: Playbook,
    readonly routes: string[],
    options: { start?: number; scale?: number } = {},
  ) {
    this.now = options.start ?? MONDAY_10
    this.state = initialState(playbook.name)
    this.append({ kind: 'started', scale: options.scale ?? 1, hash: playbook.hash, by: 'test' })
  }

  append(body: EventBody): void {
    const e: JournalEvent = { seq: this.events.length + 1, wall: this.now, scaled: scaledAt(this.state.clock, this.now), body }
    this.events.push(e)
    applyEvent(this.state, e)
  }

  /** One tick at the current time; returns the events it journaled (writes included). */
  tick(): EventBody[] {
    const from = this.events.length
    const result = decide({ playbook: this.playbook, state: this.state, routes: this.routes, readings: { routes: this.routeReadings, queue: this.queue }, wall: this.now, streaks: this.streaks })
    this.streaks = result.streaks
    this.readings.push(...result.readings)
    for (const e of result.events) this.append(e)
    for (const a of pendingActions(this.state)) {
      if (a.kind === 'flag') this.append({ kind: 'flag_write', route: a.route, flag: a.flag, before: null, changed: true })
      if (a.kind === 'queueGate') this.append({ kind: 'queue_gate_write', route: a.route, policy: a.policy, before: null, changed: true })
      if (a.kind === 'drain') this.append({ kind: 'drain_write', drain: a.drain, changed: true })
      if (a.kind === 'retire') this.append({ kind: 'retired', quietMs: a.quietMs })
    }
    return this.events.slice(from).map((e) => e.body)
  }

  /** Advances the clock by `ms` in ticks of `step`, ticking each time. */
  run(ms: number, step: number): EventBody[] {
    const out: EventBody[] = []
    const end = this.now + ms
    while (this.now < end) {
      this.now = Math.min(end, this.now + step)
      out.push(...this.tick())
    }
    return out
  }

  stageOf(route: string): string | undefined {
    return this.state.routes.get(route)?.stage
  }

  statusOf(route: string): string | undefined {
    return this.state.routes.get(route)?.status
  }
}

export const healthy = (requests = 1000): RouteReadings => ({
  shadow: { compared: requests, matches: requests, logic: 0, leaks: 0, errors: 0 },
  page: { requests, errors: 0, dbCalls: requests, refreshJobs: 0, p99Ms: 10 },
  legacy: { requests, errors: 0, dbCalls: requests * 100, refreshJobs: 0, p99Ms: 12 },
  baseline: { requests, errors: 0, dbCalls: requests * 100, refreshJobs: 0, p99Ms: 12 },
})
