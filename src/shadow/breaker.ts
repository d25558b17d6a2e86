import { withDefaults } from './option-defaults.js'

export interface BreakerOptions {
  /**
   * Outcomes remembered per route.
   * @default 20
   */
  window?: number
  /**
   * Outcomes needed before the breaker may open.
   * @default 10
   */
  minSamples?: number
  /**
   * Share of bad outcomes (errors or slow) in the window that opens the breaker.
   * @default 0.5
   */
  maxBadRate?: number
  /**
   * How long an open breaker stays open before one probe shadow is let through, ms.
   * @default 60_000
   */
  cooldownMs?: number
}

const BREAKER_DEFAULTS: Required<BreakerOptions> = { window: 20, minSamples: 10, maxBadRate: 0.5, cooldownMs: 60_000 }

interface RouteState {
  outcomes: boolean[]
  openUntil: number
  probing: boolean
}

/**
 * A per-route circuit breaker for shadows: a route whose shadows keep
 * erroring or running slow stops being shadowed for a cool-down, then one
 * probe decides whether it closes again. Time is passed in, so it is pure to test.
 */
export class ShadowBreaker {
  private readonly routes = new Map<string, RouteState>()
  private readonly options: Readonly<Required<BreakerOptions>>

  constructor(options: BreakerOptions = {}) {
    this.options = withDefaults(BREAKER_DEFAULTS, options)
  }

  private state(route: string): RouteState {
    let s = this.routes.get(route)
    if (!s) this.routes.set(route, (s = { outcomes: [], openUntil: 0, probing: false }))
    return s
  }

  /** May a shadow run for this route now? An expired open breaker lets exactly one probe through. */
  allow(route: string, now: number): boolean {
    const s = this.state(route)
    if (s.openUntil === 0) return true
    if (now < s.openUntil || s.probing) return false
    s.probing = true
    return true
  }

  record(route: string, bad: boolean, now: number): void {
    const s = this.state(route)
    if (s.probing) {
      s.probing = false
      s.outcomes = []
      s.openUntil = bad ? now + this.options.cooldownMs : 0
      return
    }
    s.outcomes.push(bad)
    if (s.outcomes.length > this.options.window) s.outcomes.shift()
    const badCount = s.outcomes.filter(Boolean).length
    if (s.outcomes.length >= this.options.minSamples && badCount / s.outcomes.length >= this.options.maxBadRate) {
      s.openUntil = now + this.options.cooldownMs
      s.outcomes = []
    }
  }

  /** Routes currently open (not shadowed). */
  open(now: number): string[] {
    return [...this.routes].filter(([, s]) => s.openUntil !== 0 && (now < s.openUntil || s.probing)).map(([r]) => r)
  }
}
