// The contract between cutover's plugin and wherever route flags live
// (Unleash, a file). Reads are synchronous and allocation-free because they
// run on every request of an opted-in route; drivers do their I/O in the
// background and swap in a new state table when it is valid.

/** How a route is served. */
export type RouteMode = 'off' | 'shadow' | 'canary' | 'on'

export const ROUTE_MODES: readonly RouteMode[] = Object.freeze(['off', 'shadow', 'canary', 'on'])

/** A route's flag, as the plugin reads it. Objects are frozen and shared. */
export interface RouteState {
  readonly mode: RouteMode
  /** Share of identities on the page path in `canary` mode, 0..100. */
  readonly percent: number
  /** Share of legacy-served requests shadowed in `shadow` mode, 0..1. */
  readonly shadowRate: number
  /** Stickiness group: fixed per route so a growing rollout only adds identities. */
  readonly groupId: string
  /**
   * Who the state applies to, when the flag has constraints or segments (Unleash
   * only); requests outside it take the legacy path. Absent: every request.
   */
  readonly audience?: Audience
}

/** The context a constrained route flag is evaluated against, per request (Unleash's context fields). */
export interface FlagContext {
  /** The plugin's `identify(request)`; absent for anonymous requests. */
  userId?: string
  sessionId?: string
  /** `request.ip` */
  remoteAddress?: string
  properties?: Record<string, string>
}

/** The requests a route flag's constraints and segments let through. Frozen and shared like its state. */
export interface Audience {
  /** Equal keys mean equal constraints, so a reload that keeps them is not a change. */
  readonly key: string
  /**
   * true when the context satisfies the constraints; false when it does not or
   * when they cannot be evaluated (fail closed). Never throws.
   */
  admits(context: () => FlagContext): boolean
}

/** One route's state changed (by a reload, a kill or a revive). */
export interface FlagChange {
  readonly routeId: string
  readonly previous: RouteState
  readonly current: RouteState
}

/** A fault as logged and counted in `stats().faults`. */
export interface FlagSourceFault {
  readonly code: string
  readonly message: string
}

/** What `start()` ended with; start never throws for an unreachable backend. */
export interface FlagSourceStatus {
  /**
   * true when the backend's state was loaded cleanly before the wait ended (the flags file read and
   * valid, Unleash answered with a valid payload); false when it was unreachable, slow, malformed or
   * (for the file) empty, and `fault` says which.
   */
  readonly synchronized: boolean
  /**
   * Where the state in use came from: the backend (even when part of it was refused, see `fault`),
   * the bootstrap, unleash-client's backup of the last payload, or none (every route off).
   */
  readonly origin: 'backend' | 'bootstrap' | 'backup' | 'none'
  /** Routes the source knows. */
  readonly routes: number
  /** The first fault start() met (absent when it met none): with synchronized false, why. */
  readonly fault?: FlagSourceFault
}

export interface FlagSourceStats {
  /** Successful loads that replaced the state table. */
  readonly loads: number
  /** Faults by error code (fetch failures, malformed payloads, unreadable files). */
  readonly faults: Readonly<Record<string, number>>
  readonly lastFault?: { readonly code: string; readonly message: string; readonly at: number }
  readonly killed: boolean
}

export interface FlagSourceStartOptions {
  /**
   * Longest wait for the first load before start() resolves with whatever
   * state it has (bootstrap, backup, or every route off).
   * @default 5000
   */
  timeoutMs?: number
}

/** Minimal logger: fastify's / pino's logger fits. */
export interface FlagLogger {
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
  info?(obj: object, msg: string): void
}

export interface FlagSource {
  /** Driver name for logs ('unleash', 'file'). */
  readonly kind: string
  /** Loads the first state within a bounded wait; never rejects for an unreachable backend. */
  start(options?: FlagSourceStartOptions): Promise<FlagSourceStatus>
  /** The route's current state; `off` for a route the source does not know, or when killed. */
  state(routeId: string): RouteState
  /** Sticky canary decision for an identity (user, session or page key). */
  inCanary(routeId: string, identity: string): boolean
  /** Subscribes to state changes; returns the unsubscribe function. */
  onChange(listener: (change: FlagChange) => void): () => void
  /** Kill switch for this process: every route `off` until revive(). */
  kill(): void
  revive(): void
  /** true while this process's kill switch, the environment's or the backend's is on. */
  readonly killed: boolean
  stats(): FlagSourceStats
  /** Stops background work; waits for a fetch in flight instead of cutting it off. */
  close(): Promise<void>
}

/** Default shadow sample rate when a flag puts a route in shadow mode without one. */
export const DEFAULT_SHADOW_RATE = 0.1

export function offState(groupId: string): RouteState {
  return Object.freeze({ mode: 'off', percent: 0, shadowRate: 0, groupId })
}
