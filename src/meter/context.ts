import { AsyncLocalStorage } from 'node:async_hooks'

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
}

/** The route work outside any request or job is charged to (start-up, timers). */
export const BACKGROUND_ROUTE = '(background)'

const storage = new AsyncLocalStorage<MeterContext>()

/** The context of the current async chain, if any. */
export function currentMeterContext(): MeterContext | undefined {
  return storage.getStore()
}

/** Runs `fn` with `context` as the meter context of everything it starts. */
export function runWithMeterContext<T>(context: MeterContext, fn: () => T): T {
  return storage.run(context, fn)
}
