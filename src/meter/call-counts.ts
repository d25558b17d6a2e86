import type { CountBuffer } from './counts.js'
import { counterField } from './keys.js'

/** A route's per-call counters in one time bucket (field names are the COUNTERS they become). */
export interface CallSlot {
  queries: number
  refreshReads: number
  redis: number
}

const SLOT_COUNTERS = ['queries', 'refreshReads', 'redis'] as const satisfies ReadonlyArray<keyof CallSlot>

/**
 * The meter's per-call counters: DB calls and Redis commands, of which an
 * object-caching route makes a hundred and more per request. A call adds to
 * an integer field of its route's slot (one Map lookup by the route string
 * it already has), instead of building a `<scope>|<route>|<counter>` field
 * and updating a Map per call. The slots of the current time bucket move
 * into the CountBuffer, as those fields, when a call falls in another bucket
 * and whenever the buffer is read (`fold`, before a flush).
 */
export class CallCounts {
  /** Start of the bucket the slots belong to, epoch seconds; the interval it covers, epoch ms. */
  private bucket = 0
  private startMs = Number.POSITIVE_INFINITY
  private endMs = Number.NEGATIVE_INFINITY
  private readonly user = new Map<string, CallSlot>()
  private readonly shadow = new Map<string, CallSlot>()

  constructor(
    private readonly into: CountBuffer,
    private readonly bucketSeconds: number,
  ) {}

  /** The slot `route`'s calls made at `nowMs` (epoch ms) add to. */
  slot(shadow: boolean, route: string, nowMs: number): CallSlot {
    if (nowMs < this.startMs || nowMs >= this.endMs) this.moveTo(nowMs)
    const slots = shadow ? this.shadow : this.user
    let slot = slots.get(route)
    if (slot === undefined) slots.set(route, (slot = { queries: 0, refreshReads: 0, redis: 0 }))
    return slot
  }

  /** Moves what the slots counted into the buffer, under their bucket, and empties them. */
  fold(): void {
    this.foldScope('user', this.user)
    this.foldScope('shadow', this.shadow)
  }

  private foldScope(scope: 'user' | 'shadow', slots: Map<string, CallSlot>): void {
    for (const [route, slot] of slots) {
      for (const counter of SLOT_COUNTERS) {
        if (slot[counter] !== 0) this.into.increment(this.bucket, counterField(scope, route, counter), slot[counter])
      }
    }
    slots.clear()
  }

  private moveTo(nowMs: number): void {
    this.fold()
    const sec = Math.floor(nowMs / 1000)
    this.bucket = sec - (sec % this.bucketSeconds)
    this.startMs = this.bucket * 1000
    this.endMs = (this.bucket + this.bucketSeconds) * 1000
  }
}
