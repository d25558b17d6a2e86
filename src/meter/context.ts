import { AsyncLocalStorage } from 'node:async_hooks'

/**
 * What one request has cost so far: calls through the metered pool and Redis
 * client made in its meter context. Bumped by the meter as the calls are made.
 */
export interface MeterCounts {
  /** `query`/`execute` calls through a pool wrapped by `meterPool`. */
  dbCalls: number
  /** Commands through a client wrapped by `meterRedis` (each one a pipeline or MULTI carries). */
  redisCalls: number
  /**
   * Refresh jobs handed to a queue wrapped by `meterQueue` (in a shadow
   * render: the jobs it would have enqueued). Each is a DB read the worker
   * makes later, on this request's behalf.
   */
  refreshJobs: number
}

/**
 * What the meter knows about the work in progress: set per request by the
 * meter plugin, per refresh job by the metered queue's consumer.
 */
export interface MeterContext {
  /** Route the work is charged to: the cutover route id, else the route's URL pattern. */
  route: string
  /** A shadow render (page-cache comparison): counted apart, never enqueues refresh jobs. */
  shadow: boolean
  /** `request` while serving a user request, `refresh` while a worker runs a job on its behalf. */
  source: 'request' | 'refresh'
  /** This request's own counts, when whoever set the context wants them (the meter plugin does). */
  readonly counts?: MeterCounts
  /**
   * Work done for several routes at once (a drainer's batch refresh): its
   * calls are split between these routes by their number of jobs, instead of
   * all going to `route`.
   */
  readonly shares?: ReadonlyMap<string, number>
}

/** The route work outside any request or job is charged to (start-up, timers). */
export const BACKGROUND_ROUTE = '(background)'

const storage = new AsyncLocalStorage<MeterContext | undefined>()

/** The context of the current async chain, if any. */
export function currentMeterContext(): MeterContext | undefined {
  return storage.getStore()
}

/** Runs `fn` with `context` as the meter context of everything it starts. */
export function runWithMeterContext<T>(context: MeterContext, fn: () => T): T {
  return storage.run(context, fn)
}

/** Runs `fn` outside any meter context: what it starts is charged to BACKGROUND_ROUTE. */
export function runOutsideMeterContext<T>(fn: () => T): T {
  // Outside a context already (no meter plugin, or work it never saw): nothing to leave. Calling
  // run() regardless would switch AsyncLocalStorage's promise hooks on for the whole process on
  // Node 20, a tax on every promise of every request, in apps that never asked for a meter.
  if (storage.getStore() === undefined) return fn()
  return storage.run(undefined, fn)
}

/**
 * Makes the callbacks a diagnostics channel's traced call runs later (its
 * `asyncStart`) run in the meter context its caller had at `start`: a pool
 * that hands a connection to a waiting caller calls back from whoever
 * released it, and the queries made in that callback belong to the caller.
 */
export function carryMeterContext(channel: { start: { subscribe(fn: (message: unknown) => void): void; unsubscribe(fn: (message: unknown) => void): unknown }; asyncStart: { bindStore(store: AsyncLocalStorage<MeterContext | undefined>, transform: (message: unknown) => MeterContext | undefined): void; unbindStore(store: AsyncLocalStorage<MeterContext | undefined>): unknown } }): () => void {
  const kept = new WeakMap<object, MeterContext | undefined>()
  const remember = (message: unknown): void => {
    if (typeof message === 'object' && message !== null) kept.set(message, storage.getStore())
  }
  channel.start.subscribe(remember)
  channel.asyncStart.bindStore(storage, (message) => (typeof message === 'object' && message !== null ? kept.get(message) : undefined))
  return () => {
    channel.start.unsubscribe(remember)
    channel.asyncStart.unbindStore(storage)
  }
}
