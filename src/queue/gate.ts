import { checkGateOptions, decidePolicy, type CheckedGateOptions, type GateDecision, type GateOptions, type GatePolicy } from './gate-policy.js'
import { checkOrigin, withOrigin, type AddEntry, type ConsumeOptions, type DrainableQueue, type EnqueueOptions, type RefreshConsumer, type RefreshHandler, type RefreshJob, type RefreshQueue } from './refresh-queue.js'

export interface GatedRefreshQueue extends RefreshQueue {
  /** The queue jobs go to. */
  readonly queue: DrainableQueue
  /** The policy a route's jobs get now (reads the control plane's overrides through the cache). */
  policyFor(routeId: string): Promise<GatePolicy>
}

/** Route id of jobs enqueued without an origin (the meter stamps one on every job it sees). */
export const NO_ORIGIN = '(background)'

/** The control plane's overrides, read at most once per ttl; a failed read keeps the last ones. */
function overridesCache(options: CheckedGateOptions): () => Promise<Readonly<Record<string, GatePolicy>>> {
  let value: Readonly<Record<string, GatePolicy>> = {}
  let readAt = -Infinity
  let reading: Promise<void> | undefined
  return async () => {
    const control = options.control
    if (!control || Date.now() - readAt < options.overridesTtlMs) return value
    reading ??= control
      .gatePolicies()
      .then((policies) => {
        value = Object.freeze({ ...policies })
      })
      // Redis unreachable: the last overrides hold (and the enqueue itself will say what is wrong).
      .catch(() => undefined)
      .finally(() => {
        readAt = Date.now()
        reading = undefined
      })
    await reading
    return value
  }
}

/**
 * Wraps the app's refresh queue so its `enqueue` call sites stay as they are
 * while each job is passed, deduped (at most one waiting job per record) or
 * dropped, by the policy of the route it came from (`job.origin`): the
 * control plane's override, else `routes`, else the route's mode (`modes`).
 * One round trip to the queue per enqueue batch. Wrap it in `meterQueue` (or
 * use `meterGatedQueue` from cutover/meter), so jobs carry their origin and
 * the decisions are counted.
 */
export function gateQueue(queue: DrainableQueue, gateOptions: GateOptions): GatedRefreshQueue {
  const options = checkGateOptions(gateOptions)
  const overrides = overridesCache(options)
  return {
    driver: queue.driver,
    name: queue.name,
    queue,
    async policyFor(routeId) {
      return decidePolicy(routeId, options, await overrides())
    },
    stampsOrigin: true,
    async enqueue(jobs: readonly RefreshJob[], enqueueOptions: EnqueueOptions = {}): Promise<void> {
      const origin = checkOrigin(enqueueOptions.origin)
      if (jobs.length === 0) return
      const current = await overrides()
      const policies = new Map<string, GatePolicy>()
      const entries: AddEntry[] = []
      const routes: string[] = []
      const dropped = new Map<string, number>()
      // A queue that can't stamp the origin itself gets copies that carry it.
      const stamp = origin !== undefined && queue.stampsOrigin !== true ? origin : undefined
      for (const job of jobs) {
        const route = job.origin ?? origin ?? NO_ORIGIN
        let policy = policies.get(route)
        if (!policy) policies.set(route, (policy = decidePolicy(route, options, current)))
        if (policy === 'drop') dropped.set(route, (dropped.get(route) ?? 0) + 1)
        else {
          entries.push({ job: withOrigin(job, stamp), dedupe: policy === 'dedupe' })
          routes.push(route)
        }
      }
      const added = entries.length > 0 ? await queue.add(entries, { recentMs: options.recentMs, origin: stamp === undefined ? origin : undefined }) : []
      if (!options.observe) return
      const counts = new Map<string, number>()
      const bump = (route: string, decision: GateDecision, n = 1): void => {
        const key = `${decision}\u0000${route}`
        counts.set(key, (counts.get(key) ?? 0) + n)
      }
      added.forEach((ok, i) => bump(routes[i] as string, ok ? 'passed' : 'deduped'))
      for (const [route, n] of dropped) bump(route, 'dropped', n)
      for (const [key, n] of counts) {
        const [decision, route] = key.split('\u0000') as [GateDecision, string]
        options.observe(route, decision, n)
      }
    },
    consume: (handler: RefreshHandler, consumeOptions?: ConsumeOptions): RefreshConsumer => queue.consume(handler, consumeOptions),
    depth: () => queue.depth(),
    close: () => queue.close(),
  }
}
