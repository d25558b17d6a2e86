// The CPU budget of shadow work: shadows run on the event loop that serves
// the users, so what they take is what the users wait for. The budget lets
// shadow work add at most a share (`maxLoopShare`) to the event-loop time
// the process spends per request of cutover's routes, and lowers the
// effective sample rate when the configured one would exceed it.
//
// How much a shadow costs is estimated from the event loop's utilization
// (performance.eventLoopUtilization()) in windows of `windowMs`: most
// windows run shadows; a pair of windows in every `quietEvery` starts none
// (the first lets running shadows finish, the second measures), which gives
// the loop time per request without shadows. In the other windows, the loop
// time beyond that, per shadow started, is a shadow's cost. Both are
// smoothed over windows. No shadow-mode traffic, no windows: the clock stops
// until the next sampled request.
import { performance, type EventLoopUtilization } from 'node:perf_hooks'

export interface ShadowBudgetOptions {
  /** Loop time shadows may add, as a share of the loop time per request without them (0 < share; Infinity turns the budget off). */
  maxLoopShare: number
  /** @default 1000 */
  windowMs?: number
  /** One pair of quiet windows in this many. @default 20 */
  quietEvery?: number
  /** Tests: the utilization reading and the timer. */
  elu?: (last?: EventLoopUtilization) => EventLoopUtilization
  setInterval?: (fn: () => void, ms: number) => { unref?: () => unknown }
  clearInterval?: (timer: unknown) => void
}

/** The budget as it stands (app.cutover.shadowBudget()). */
export interface ShadowBudgetReading {
  /** Share of the configured sample rates in effect now, 0..1 (1: the budget does not bind). */
  factor: number
  /** The budget, as configured. */
  maxLoopShare: number
  /** Event-loop ms per request of cutover's routes without shadows (null until measured). */
  requestMs: number | null
  /** Event-loop ms per shadow (null until measured). */
  shadowMs: number | null
  /** Loop time shadows add per request at the configured rates, as a share of requestMs (null until measured). */
  demandShare: number | null
  /** True during a quiet window (no shadow starts). */
  quiet: boolean
}

/** The factor never falls below this: a few shadows keep running, so their cost stays measured and the factor can rise again. */
const MIN_FACTOR = 0.02
/** Windows with fewer requests than this tell nothing. */
const MIN_REQUESTS = 20
/** Smoothing of the per-window figures. */
const ALPHA = 0.15
/** The factor moves at most this much per window, either way: one noisy window neither stops shadows nor lets them all through. */
const STEP = 1.5
/** Windows without a sampled request before the clock stops. */
const IDLE_WINDOWS = 3

const ewma = (previous: number | null, value: number): number => (previous === null ? value : previous + ALPHA * (value - previous))

export class ShadowBudget {
  readonly maxLoopShare: number
  readonly #windowMs: number
  readonly #quietEvery: number
  readonly #elu: (last?: EventLoopUtilization) => EventLoopUtilization
  readonly #setInterval: NonNullable<ShadowBudgetOptions['setInterval']>
  readonly #clearInterval: NonNullable<ShadowBudgetOptions['clearInterval']>
  #timer: unknown
  #mark: EventLoopUtilization | undefined
  #window = 0
  #idle = 0
  #factor = 1
  // This window's counts.
  #requests = 0
  #demanded = 0
  #started = 0
  // Smoothed: loop ms per request in quiet windows; loop ms, requests, shadows started and demanded per active window.
  #requestMs: number | null = null
  #busy: number | null = null
  #busyRequests: number | null = null
  #shadows: number | null = null
  #demand: number | null = null

  constructor(options: ShadowBudgetOptions) {
    this.maxLoopShare = options.maxLoopShare
    this.#windowMs = options.windowMs ?? 1000
    this.#quietEvery = Math.max(3, options.quietEvery ?? 20)
    this.#elu = options.elu ?? ((last) => performance.eventLoopUtilization(last))
    this.#setInterval = options.setInterval ?? setInterval
    this.#clearInterval = options.clearInterval ?? ((t) => clearInterval(t as NodeJS.Timeout))
  }

  get enabled(): boolean {
    return Number.isFinite(this.maxLoopShare)
  }

  /** A request on one of cutover's routes (its loop time is what the budget is a share of). */
  request(): void {
    this.#requests++
  }

  /**
   * Whether a request that the configured `rate` would shadow is shadowed:
   * `u` is its uniform draw in [0, 1), already below `rate`. Returns the
   * effective rate it was drawn at, or 0 when it is not shadowed.
   */
  admit(u: number, rate: number): number {
    if (!this.enabled) return rate
    this.#ensureClock()
    this.#demanded++
    if (this.#quiet()) return 0
    const effective = rate * this.#factor
    return u < effective ? effective : 0
  }

  /** A shadow started (not dropped). */
  started(): void {
    this.#started++
  }

  reading(): ShadowBudgetReading {
    const shadowMs = this.#shadowMs()
    const demandShare =
      shadowMs !== null && this.#requestMs && this.#demand !== null && this.#busyRequests ? (shadowMs * this.#demand) / this.#busyRequests / this.#requestMs : null
    return { factor: this.enabled ? this.#factor : 1, maxLoopShare: this.maxLoopShare, requestMs: this.#requestMs, shadowMs, demandShare, quiet: this.#quiet() }
  }

  /** Stops the clock (app close). */
  close(): void {
    if (this.#timer !== undefined) this.#clearInterval(this.#timer)
    this.#timer = undefined
  }

  /** Windows 1 and 2 of every `quietEvery` start no shadows: the first lets running ones finish, the second is measured. */
  #quiet(): boolean {
    const phase = this.#window % this.#quietEvery
    return phase === 1 || phase === 2
  }

  #ensureClock(): void {
    this.#idle = 0
    if (this.#timer !== undefined) return
    this.#mark = this.#elu()
    this.#window = 0
    this.#requests = this.#demanded = this.#started = 0
    const timer = this.#setInterval(() => this.tick(), this.#windowMs)
    timer.unref?.()
    this.#timer = timer
  }

  /** Ends a window (the clock calls it; tests too). */
  tick(): void {
    const now = this.#elu()
    const busyMs = this.#mark ? this.#elu(this.#mark).active : 0
    this.#mark = now
    const phase = this.#window % this.#quietEvery
    const requests = this.#requests
    if (phase === 2) {
      if (requests >= MIN_REQUESTS) this.#requestMs = ewma(this.#requestMs, busyMs / requests)
    } else if (phase !== 1 && requests >= MIN_REQUESTS) {
      this.#busy = ewma(this.#busy, busyMs)
      this.#busyRequests = ewma(this.#busyRequests, requests)
      this.#shadows = ewma(this.#shadows, this.#started)
      this.#demand = ewma(this.#demand, this.#demanded)
      this.#factor = this.#nextFactor()
    }
    if (this.#demanded > 0) this.#idle = 0
    else if (phase !== 1 && phase !== 2) this.#idle++
    this.#requests = this.#demanded = this.#started = 0
    this.#window++
    if (this.#idle >= IDLE_WINDOWS) this.close()
  }

  /** Loop ms per shadow: what active windows took beyond their requests' share, per shadow started. */
  #shadowMs(): number | null {
    if (this.#requestMs === null || this.#busy === null || this.#busyRequests === null || !this.#shadows) return null
    return Math.max(0, (this.#busy - this.#requestMs * this.#busyRequests) / this.#shadows)
  }

  #nextFactor(): number {
    const shadowMs = this.#shadowMs()
    if (shadowMs === null || this.#requestMs === null || !this.#demand || !this.#busyRequests) return this.#factor
    if (shadowMs === 0) return 1
    // Shadows per request the budget allows, against those the configured rates ask for.
    const allowed = (this.maxLoopShare * this.#requestMs) / shadowMs
    const demanded = this.#demand / this.#busyRequests
    const target = Math.min(1, Math.max(MIN_FACTOR, allowed / demanded))
    return Math.min(this.#factor * STEP, Math.max(this.#factor / STEP, target))
  }
}
