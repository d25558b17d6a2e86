import type { GateDecision, GateObserver, GateOptions } from '../queue/gate-policy.js'
import { gateQueue, type GatedRefreshQueue } from '../queue/gate.js'
import type { ChargeHook } from '../queue/drain-options.js'
import type { DrainableQueue } from '../queue/refresh-queue.js'
import type { Meter } from './meter.js'
import { meterQueue, type MeteredRefreshQueue } from './wrap-queue.js'

/** The producer gate's `observe` hook, counting each decision per route in the meter. */
export function meterGateObserver(meter: Meter): GateObserver {
  return (route: string, decision: GateDecision, n: number) => meter.countGate(route, decision, n)
}

/**
 * The app's refresh queue behind the producer gate, metered: `meterQueue`
 * stamps each job with the route that enqueued it, the gate decides by that
 * route, the meter counts the decisions. The order matters (the gate needs
 * the origin), which is why this is one call.
 */
export function meterGatedQueue(queue: DrainableQueue, meter: Meter, options: Omit<GateOptions, 'observe'>): MeteredRefreshQueue & { gate: GatedRefreshQueue } {
  const gate = gateQueue(queue, { ...options, observe: meterGateObserver(meter) })
  return Object.assign(meterQueue(gate, meter), { gate })
}

/** The drainer's `charge` hook: a batch's refresh reads charged to its jobs' routes, as the legacy worker's are. */
export function meterDrainer(meter: Meter): { charge: ChargeHook } {
  return { charge: (origins, work) => meter.runJobs(origins, work) }
}
