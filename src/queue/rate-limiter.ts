import type { Redis } from 'ioredis'
import { rateLua } from './lua/rate.js'
import { RedisScript } from '../redis-script.js'

const script = new RedisScript(rateLua)

/** How late a drainer may be for its turn and still make the time up (the largest burst is this much of the rate). */
export const RATE_TOLERANCE_MS = 500

/** Jobs a drainer asks for at a rate: a full batch at 200 jobs/s and more, else what half a second allows. */
export function wantAt(rate: number, batchSize: number): number {
  return Math.max(1, Math.min(batchSize, Math.ceil(rate * 0.5)))
}

/**
 * The global rate limit of one queue, held in Redis, so every drainer of the
 * queue, on any machine, draws from the same budget: three drainers at
 * 300 jobs/s do 300 jobs/s together.
 */
export class GlobalRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
  ) {}

  /** Asks for `n` jobs at `rate`: granted whole, or not at all with how long to wait. */
  async take(rate: number, n: number): Promise<{ granted: number; waitMs: number }> {
    const [granted, waitMs] = (await script.run(this.redis, [this.key], [rate, n, RATE_TOLERANCE_MS])) as [number, number]
    return { granted, waitMs }
  }

  /** Gives back jobs granted and not claimed (the queue had fewer). */
  async refund(rate: number, n: number): Promise<void> {
    if (n > 0) await script.run(this.redis, [this.key], [rate, -n, RATE_TOLERANCE_MS])
  }
}

/** Jobs/s over a sliding window of recent batches. */
export class RateWindow {
  private readonly samples: Array<[number, number]> = []
  constructor(private readonly windowMs = 5000) {}

  add(now: number, n: number): void {
    this.samples.push([now, n])
  }

  rate(now: number, startedAt: number): number {
    while (this.samples.length > 0 && (this.samples[0]?.[0] ?? now) < now - this.windowMs) this.samples.shift()
    const span = Math.max(1, Math.min(this.windowMs, now - startedAt))
    return (this.samples.reduce((sum, [, n]) => sum + n, 0) * 1000) / span
  }
}
