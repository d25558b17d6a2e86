// Back-pressure from MySQL, as a pure rule. The drain's rate is the target
// rate times a factor in [MIN_FACTOR, 1], moved by AIMD (additive increase,
// multiplicative decrease, TCP's congestion rule): when the last batch query
// took longer than `latencyMs` or the server's Threads_running is above
// `threadsRunning`, the factor halves (at most once per second, so one slow
// spell measured by several batches cuts once); otherwise it grows back by
// RECOVERY_PER_SECOND. Halving gets off a struggling database within a few
// seconds; the slow climb probes back without hammering it the moment it
// breathes. Latency is the direct sign of the harm a drain can do (its own
// query queueing behind others); Threads_running also catches pressure from
// the app's own traffic while the drain's query is still fast.

export interface PressureBounds {
  /** A batch query slower than this is pressure, ms. */
  latencyMs: number
  /** More threads running than this is pressure (only when a probe is given). */
  threadsRunning: number
}

export interface PressureState {
  factor: number
  /** When the factor was last cut, epoch ms. */
  cutAt: number
  /** When the state was last updated, epoch ms. */
  at: number
}

export interface PressureSignal {
  /** The last batch query's duration, ms. */
  latencyMs?: number | undefined
  /** The server's Threads_running, when probed. */
  threadsRunning?: number | undefined
}

export const MIN_FACTOR = 0.05
export const RECOVERY_PER_SECOND = 0.05
const CUT_EVERY_MS = 1000

export const initialPressure = (now: number): PressureState => ({ factor: 1, cutAt: -Infinity, at: now })

/** Whether a signal is pressure, and which bound it passed (for progress events). */
export function pressureReason(signal: PressureSignal, bounds: PressureBounds): string | undefined {
  if (signal.latencyMs !== undefined && signal.latencyMs > bounds.latencyMs) return `batch query took ${Math.round(signal.latencyMs)} ms (bound ${bounds.latencyMs} ms)`
  if (signal.threadsRunning !== undefined && signal.threadsRunning > bounds.threadsRunning) return `Threads_running ${signal.threadsRunning} (bound ${bounds.threadsRunning})`
  return undefined
}

export function nextPressure(state: PressureState, signal: PressureSignal, bounds: PressureBounds, now: number): PressureState {
  if (pressureReason(signal, bounds) !== undefined) {
    if (now - state.cutAt < CUT_EVERY_MS) return { ...state, at: now }
    return { factor: Math.max(MIN_FACTOR, state.factor / 2), cutAt: now, at: now }
  }
  const grown = state.factor + (RECOVERY_PER_SECOND * Math.max(0, now - state.at)) / 1000
  return { factor: Math.min(1, grown), cutAt: state.cutAt, at: now }
}

/** After an outage the drain starts again from the bottom and climbs back. */
export function afterOutage(now: number): PressureState {
  return { factor: MIN_FACTOR, cutAt: now, at: now }
}

/** Something that answers SQL: a mysql2 pool or connection. */
export interface SqlClient {
  query(sql: string): Promise<unknown>
}

/**
 * A probe of MySQL's `Threads_running` (SHOW GLOBAL STATUS), for the
 * drainer's `pressure.probe`. One query per probe interval.
 */
export function mysqlThreadsRunning(client: SqlClient): () => Promise<number> {
  return async () => {
    const result = (await client.query("SHOW GLOBAL STATUS LIKE 'Threads_running'")) as [Array<{ Value?: unknown }>]
    const value = Number(result[0]?.[0]?.Value)
    if (!Number.isFinite(value)) throw new Error('SHOW GLOBAL STATUS gave no Threads_running')
    return value
  }
}
