import type { StoredPage } from './store.js'

/** What a leader's render came to, as its followers see it. */
export type FlightResult = { kind: 'page'; page: StoredPage } | { kind: 'none'; reason: string }

interface Flight {
  promise: Promise<FlightResult>
  settle: (result: FlightResult) => void
}

/**
 * Single-flight within a process: the first miss for a key leads (renders),
 * later misses for the same key follow and get the leader's page. A flight
 * settles itself after `maxMs` so a leader that never finishes (aborted
 * request, crashed handler) can't strand its followers.
 */
export class Flights {
  private readonly flights = new Map<string, Flight>()

  constructor(private readonly maxMs: number) {}

  get size(): number {
    return this.flights.size
  }

  /** Whether a flight for `id` is in the air. */
  pending(id: string): boolean {
    return this.flights.has(id)
  }

  /** The pending result of the flight for `id`, if one is in the air. */
  follow(id: string): Promise<FlightResult> | undefined {
    return this.flights.get(id)?.promise
  }

  /** Starts a flight for `id`; returns its settle function, or undefined when one is already in the air. */
  lead(id: string): ((result: FlightResult) => void) | undefined {
    if (this.flights.has(id)) return undefined
    let settle!: (result: FlightResult) => void
    const promise = new Promise<FlightResult>((resolve) => {
      const timer = setTimeout(() => finish({ kind: 'none', reason: 'leader-timeout' }), this.maxMs)
      timer.unref()
      const finish = (result: FlightResult): void => {
        clearTimeout(timer)
        if (this.flights.get(id)?.promise === promise) this.flights.delete(id)
        resolve(result)
      }
      settle = finish
    })
    this.flights.set(id, { promise, settle })
    return settle
  }
}
