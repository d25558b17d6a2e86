import { withDefaults } from './option-defaults.js'
import { wilson } from './wilson.js'

/** Decayed evidence about one route path: how often two legacy renders differed there. */
export interface NoiseEvidence {
  noisy: number
  quiet: number
  /** Epoch ms of the last update (decay is applied lazily from here). */
  at: number
}

export interface NoiseModelOptions {
  /**
   * Evidence loses half its weight every this many ms, so a path that stopped
   * being noisy (a fixed bug) is trusted again.
   * @default 86_400_000 (one day)
   */
  halfLifeMs?: number
  /**
   * Confidence of the Wilson bound.
   * @default 0.95
   */
  confidence?: number
  /**
   * A path is noise when the lower confidence bound of P(two legacy renders
   * differ there) is above this rate.
   * @default 0.5
   */
  noisyRate?: number
  /**
   * Paths remembered per route (the least evidenced are forgotten first).
   * @default 2000
   */
  maxPathsPerRoute?: number
}

const NOISE_MODEL_DEFAULTS: Required<NoiseModelOptions> = { halfLifeMs: 86_400_000, confidence: 0.95, noisyRate: 0.5, maxPathsPerRoute: 2000 }

/**
 * Learns, per route and path shape, whether the legacy path disagrees with
 * itself there (timestamps, request ids). Fed by secondary legacy renders:
 * every path where the secondary differed from the control is one noisy
 * observation, every other path already known for the route one quiet one.
 * A path counts as noise once the Wilson lower bound of its noisy rate is
 * above `noisyRate`: a few consistent observations suffice for a timestamp,
 * a single coincidence never does.
 */
export class NoiseModel {
  private readonly routes = new Map<string, Map<string, NoiseEvidence>>()
  private readonly options: Readonly<Required<NoiseModelOptions>>

  constructor(options: NoiseModelOptions = {}) {
    this.options = withDefaults(NOISE_MODEL_DEFAULTS, options)
  }

  private decayed(e: NoiseEvidence, now: number): NoiseEvidence {
    const factor = Math.pow(0.5, Math.max(0, now - e.at) / this.options.halfLifeMs)
    return { noisy: e.noisy * factor, quiet: e.quiet * factor, at: now }
  }

  /** Records one secondary render: `differing` are the shapes where it differed from the control. */
  observe(route: string, differing: Iterable<string>, alsoSeen: Iterable<string>, now: number): void {
    let paths = this.routes.get(route)
    if (!paths) this.routes.set(route, (paths = new Map()))
    const noisy = new Set(differing)
    const all = new Set([...paths.keys(), ...noisy, ...alsoSeen])
    for (const shape of all) {
      const prev = paths.get(shape)
      const e = prev ? this.decayed(prev, now) : { noisy: 0, quiet: 0, at: now }
      if (noisy.has(shape)) e.noisy += 1
      else e.quiet += 1
      paths.set(shape, e)
    }
    if (paths.size > this.options.maxPathsPerRoute) {
      const weakest = [...paths.entries()].sort((x, y) => x[1].noisy + x[1].quiet - (y[1].noisy + y[1].quiet))
      for (const [shape] of weakest.slice(0, paths.size - this.options.maxPathsPerRoute)) paths.delete(shape)
    }
  }

  /** The decayed evidence and its interval for one path. */
  estimate(route: string, shape: string, now: number): { noisy: number; quiet: number; lower: number; upper: number } {
    const e = this.routes.get(route)?.get(shape)
    if (!e) return { noisy: 0, quiet: 0, lower: 0, upper: 1 }
    const d = this.decayed(e, now)
    const w = wilson(d.noisy, d.noisy + d.quiet, this.options.confidence)
    return { noisy: d.noisy, quiet: d.quiet, lower: w.lower, upper: w.upper }
  }

  isNoise(route: string, shape: string, now: number): boolean {
    return this.estimate(route, shape, now).lower > this.options.noisyRate
  }

  /**
   * Takes in stored evidence (another instance's, or this one's before a
   * restart): for each path the newer record wins, decayed to now when read.
   */
  restore(snapshot: Record<string, Record<string, NoiseEvidence>>): void {
    for (const [route, shapes] of Object.entries(snapshot)) {
      let paths = this.routes.get(route)
      if (!paths) this.routes.set(route, (paths = new Map()))
      for (const [shape, e] of Object.entries(shapes)) {
        const mine = paths.get(shape)
        if (!mine || mine.at < e.at) paths.set(shape, { ...e })
      }
    }
  }

  /** Evidence as plain data (to persist or inspect). */
  snapshot(): Record<string, Record<string, NoiseEvidence>> {
    const out: Record<string, Record<string, NoiseEvidence>> = {}
    for (const [route, paths] of this.routes) out[route] = Object.fromEntries([...paths].map(([k, v]) => [k, { ...v }]))
    return out
  }
}
