/**
 * Every Redis key of a refresh queue. All of one queue's keys carry the
 * `{<name>}` hash tag, so on Redis Cluster they share a slot and one script
 * may touch several of them.
 */
export interface ListQueueKeys {
  /** LIST of job payloads: LPUSH to enqueue, RPOP/BLMOVE from the other end. */
  waiting: string
  /** LIST of payloads the legacy consumer is running. */
  running: string
  /** HASH receipt -> payload of jobs drainers claimed. */
  claims: string
  /** ZSET receipt -> epoch ms at which the claim's visibility ends. */
  inflight: string
  /** HASH record -> number of its jobs waiting (the dedupe check). */
  pending: string
  /** ZSET record -> epoch ms its last job was accepted (the `recentMs` throttle). */
  recent: string
  /** Counter for claim receipts. */
  seq: string
}

/** Keys every driver shares: the control plane and the drain's bookkeeping. */
export interface QueueKeys {
  /** HASH: gate policy overrides (`gate:<route>`), drain settings, last enqueue time. */
  control: string
  /** STRING: the global rate limiter's theoretical arrival time (GCRA), epoch ms. */
  rate: string
  /** HASH drainer id -> JSON of its last report ({ at, rate }). */
  drainers: string
  /** LIST of dead letters (JSON), newest first. */
  dead: string
  /** HASH record -> refresh failures counted so far. */
  failures: string
  /** HASH outcome -> jobs acked with it. */
  totals: string
}

function base(prefix: string, name: string): string {
  return `${prefix}:v1:queue:{${name}}`
}

export function queueKeys(prefix: string, name: string): QueueKeys {
  const b = base(prefix, name)
  return {
    control: `${b}:control`,
    rate: `${b}:rate`,
    drainers: `${b}:drainers`,
    dead: `${b}:dead`,
    failures: `${b}:failures`,
    totals: `${b}:totals`,
  }
}

export function listQueueKeys(prefix: string, name: string): ListQueueKeys {
  const b = base(prefix, name)
  return {
    waiting: `${b}:waiting`,
    running: `${b}:running`,
    claims: `${b}:claims`,
    inflight: `${b}:inflight`,
    pending: `${b}:pending`,
    recent: `${b}:recent`,
    seq: `${b}:seq`,
  }
}

/**
 * BullMQ's own key prefix for a cutover queue (BullMQ appends `:<name>:...`).
 * The `{<name>}` hash tag puts all of the queue's BullMQ keys in one Cluster
 * slot, as BullMQ requires there.
 */
export function bullmqPrefix(prefix: string, name: string): string {
  return `${prefix}:v1:bullmq:{${name}}`
}

/** The record a job refreshes, as dedupe and failure counts key it: table and id (numbers and their decimal strings are one record). */
export function recordOf(table: string, id: string | number): string {
  return `${table}\u0000${String(id)}`
}
