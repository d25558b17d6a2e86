// The queue's control plane: what a playbook, an operator or the CLI changes
// about a refresh queue, held in Redis under the queue's keys so every app
// process (producer gates) and every drainer, on any machine, follows it.
import type { RedisInput } from '../redis-script.js'
import { CUTOVER_ERR_DRAIN_OPTIONS_INVALID, CUTOVER_ERR_DRAIN_RETIRE_REFUSED, CUTOVER_ERR_GATE_OPTIONS_INVALID } from '../errors.js'
import { checkDrainSettings, SETTINGS_FIELDS, settingsFromFields, settingsToFields, type DrainSettings } from './drain-settings.js'
import { ListRefreshQueue } from './list-queue.js'
import { GATE_POLICIES, type GatePolicy } from './gate-policy.js'
import { checkQueueOptions } from './options.js'
import type { DeadLetter, DrainableQueue, RetireCheck } from './refresh-queue.js'

export type { DrainSchedule, DrainSettings, DrainState } from './drain-settings.js'

export { GATE_POLICIES, type GatePolicy } from './gate-policy.js'

export interface QueueStatus {
  /** Jobs waiting plus jobs in flight (what is left to do). */
  depth: number
  /** jobs claimed and not yet acked (in flight) */
  inFlight: number
  deadLetters: number
  /** epoch ms of the last enqueue any gate let through, or undefined */
  lastEnqueueAt: number | undefined
  settings: DrainSettings
  /** drainers that reported within the last few seconds */
  drainers: number
  /** jobs/s over the last window, as measured by drainers */
  drainRate: number
}

/** What a drainer reports about itself every tick (status() adds these up). */
export interface DrainerReport {
  /** Jobs/s this drainer settled over its last window. */
  rate: number
}

/** What retire removed (it throws when it removes nothing). */
export interface RetireResult extends RetireCheck {
  /** Dead letters kept: the dead-letter list outlives the queue. */
  deadLetters: number
}

export interface QueueControl {
  setGatePolicy(routeId: string, policy: GatePolicy | null): Promise<void>
  gatePolicies(): Promise<Record<string, GatePolicy>>
  /**
   * Sets the drain's state, and its rate when `rate` or `schedule` is given
   * (the one given replaces both); without either the rate in force is kept,
   * so `{ state: 'paused' }` pauses without forgetting the rate. Resolves to
   * the settings now in force.
   */
  setDrain(settings: Omit<DrainSettings, 'updatedAt'>): Promise<DrainSettings>
  /** The drain settings in force (running at the drainer's own rate when never set: updatedAt 0). */
  drainSettings(): Promise<DrainSettings>
  status(): Promise<QueueStatus>
  /** Throws CUTOVER_ERR_DRAIN_RETIRE_REFUSED (with the reason) unless depth is 0 and the queue was quiet for `quietMs`. */
  retire(options: { quietMs: number }): Promise<void>
  /** retire, resolving to what it found and kept (the dead letters). */
  retireQueue(options: { quietMs: number }): Promise<RetireResult>
  /** The newest dead letters first. */
  deadLetters(limit?: number): Promise<DeadLetter[]>
  /** A drainer's heartbeat (drainers call it every tick). */
  reportDrainer(id: string, report: DrainerReport): Promise<void>
  /** A drainer that stopped leaves the count at once. */
  forgetDrainer(id: string): Promise<void>
}

export interface QueueControlOptions {
  /** Redis client, ioredis 5 or 6 (not closed by the control). */
  redis: RedisInput
  /** @default 'cutover' */
  prefix?: string
  /** @default 'refresh' */
  name?: string
  /**
   * The queue's driver, for depth, in-flight jobs and retire. Pass the
   * `BullmqRefreshQueue` for a BullMQ queue (its prefix and name are used
   * then); without it the queue is the Redis list driver's.
   * @default a ListRefreshQueue on `redis`, `prefix`, `name`
   */
  queue?: DrainableQueue
}

/** A drainer that has not reported for this long no longer counts as running. */
export const DRAINER_LIVE_MS = 5000
/** Reports older than this are deleted. */
const DRAINER_FORGET_MS = 60_000
const GATE_FIELD = 'gate:'

function describeRefusal(name: string, check: RetireCheck, quietMs: number): string {
  if (check.waiting + check.inFlight > 0) {
    return `it still holds ${check.waiting} job(s) waiting and ${check.inFlight} in flight; drain it first`
  }
  const ago = ((check.now - check.lastEnqueueAt) / 1000).toFixed(1)
  return `a producer enqueued ${ago} s ago, within the quiet window of ${(quietMs / 1000).toFixed(1)} s; stop the producers (gate policy drop) and try again after the window (queue ${name})`
}

/** Built from the same options as the drivers (redis, prefix, name). */
export function createQueueControl(options: QueueControlOptions): QueueControl {
  const checked = checkQueueOptions(options)
  const queue = options.queue ?? new ListRefreshQueue({ redis: checked.redis, prefix: checked.prefix, name: checked.name })
  const { redis } = checked
  const keys = queue.shared

  const drainSettings = async (): Promise<DrainSettings> => settingsFromFields(await redis.hmget(keys.control, ...SETTINGS_FIELDS))

  const retireQueue = async ({ quietMs }: { quietMs: number }): Promise<RetireResult> => {
    if (typeof quietMs !== 'number' || !Number.isFinite(quietMs) || quietMs < 0) {
      throw new CUTOVER_ERR_DRAIN_OPTIONS_INVALID('quietMs to be a non-negative number of ms', JSON.stringify(quietMs))
    }
    const check = await queue.retire(quietMs)
    if (!check.retired) throw new CUTOVER_ERR_DRAIN_RETIRE_REFUSED(queue.name, describeRefusal(queue.name, check, quietMs))
    return { ...check, deadLetters: await redis.llen(keys.dead) }
  }

  return {
    async setGatePolicy(routeId, policy) {
      if (typeof routeId !== 'string' || routeId === '') throw new CUTOVER_ERR_GATE_OPTIONS_INVALID('routeId to be a non-empty string', JSON.stringify(routeId))
      if (policy === null) {
        await redis.hdel(keys.control, GATE_FIELD + routeId)
        return
      }
      if (!GATE_POLICIES.includes(policy)) throw new CUTOVER_ERR_GATE_OPTIONS_INVALID(`policy for route "${routeId}" to be pass, dedupe, drop or null`, JSON.stringify(policy))
      await redis.hset(keys.control, GATE_FIELD + routeId, policy)
    },

    async gatePolicies() {
      const fields = await redis.hgetall(keys.control)
      const policies: Record<string, GatePolicy> = {}
      for (const [field, value] of Object.entries(fields)) {
        if (field.startsWith(GATE_FIELD) && GATE_POLICIES.includes(value as GatePolicy)) policies[field.slice(GATE_FIELD.length)] = value as GatePolicy
      }
      return policies
    },

    async setDrain(settings) {
      const now = Date.now()
      const asked = checkDrainSettings(settings, now)
      const kept = asked.rate === undefined && asked.schedule === undefined ? await drainSettings() : {}
      const next: DrainSettings = { ...kept, ...asked, updatedAt: now }
      await redis.hset(keys.control, settingsToFields(next))
      return next
    },

    drainSettings,

    async status() {
      const [counts, last, settings, reports] = await Promise.all([
        queue.counts(),
        redis.hget(keys.control, 'lastEnqueueAt'),
        drainSettings(),
        redis.hgetall(keys.drainers),
      ])
      const now = Date.now()
      let drainers = 0
      let drainRate = 0
      const stale: string[] = []
      for (const [id, json] of Object.entries(reports)) {
        const report = parseReport(json)
        if (report && now - report.at <= DRAINER_LIVE_MS) {
          drainers++
          drainRate += report.rate
        } else if (!report || now - report.at > DRAINER_FORGET_MS) {
          stale.push(id)
        }
      }
      if (stale.length > 0) await redis.hdel(keys.drainers, ...stale)
      const lastEnqueueAt = last === null ? undefined : Number(last)
      return { depth: counts.waiting + counts.inFlight, inFlight: counts.inFlight, deadLetters: counts.deadLetters, lastEnqueueAt, settings, drainers, drainRate }
    },

    async retire(options) {
      await retireQueue(options)
    },

    retireQueue,

    deadLetters: (limit = 100) => queue.deadLetters(limit),

    async reportDrainer(id, report) {
      await redis.hset(keys.drainers, id, JSON.stringify({ at: Date.now(), rate: report.rate }))
    },

    async forgetDrainer(id) {
      await redis.hdel(keys.drainers, id)
    },
  }
}

function parseReport(json: string): { at: number; rate: number } | undefined {
  try {
    const r = JSON.parse(json) as { at?: unknown; rate?: unknown }
    return typeof r.at === 'number' && typeof r.rate === 'number' ? { at: r.at, rate: r.rate } : undefined
  } catch {
    return undefined
  }
}
