import type { Redis } from 'ioredis'
import { RedisScript } from '../redis-script.js'
import type { Counts, PendingCounts } from './counts.js'
import type { MeterKeys } from './keys.js'
import { flushLua } from './lua/flush.js'

/** Where and how long flushed counts are kept. */
export interface FlushTarget {
  redis: Redis
  keys: MeterKeys
  bucketSeconds: number
  retentionSeconds: number
}

const flushScript = new RedisScript(flushLua)

const pairs = (counts: Counts | undefined): string[] => [...(counts ?? [])].flatMap(([f, v]) => [f, String(v)])

/**
 * Sends pending counts to Redis, one script call per bucket, oldest first; the
 * backlog goes with the first. What Redis took is removed from `pending` as it
 * goes, so when a call fails `pending` holds exactly what is still unsent.
 * `sent` gets each bucket's increments (field, value, ...) once Redis has them.
 */
export async function sendPending(
  target: FlushTarget,
  pending: PendingCounts,
  currentBucket: number,
  sent: (increments: string[]) => void,
): Promise<void> {
  const { increments, maxima, latest, backlog } = pending
  const buckets = new Set([...increments.keys(), ...maxima.keys(), ...latest.keys()])
  if (buckets.size === 0 && backlog.size > 0) buckets.add(currentBucket)
  for (const bucket of [...buckets].sort((a, b) => a - b)) {
    const inc = pairs(increments.get(bucket))
    const max = pairs(maxima.get(bucket))
    const last = pairs(latest.get(bucket))
    const back = pairs(backlog)
    await flushScript.run(
      target.redis,
      [target.keys.bucket(target.bucketSeconds, bucket), target.keys.backlog()],
      [target.retentionSeconds, inc.length / 2, max.length / 2, last.length / 2, back.length / 2, ...inc, ...max, ...last, ...back],
    )
    for (const map of [increments, maxima, latest]) map.delete(bucket)
    backlog.clear()
    sent(inc)
  }
}
