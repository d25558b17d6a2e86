import type { Redis } from 'ioredis'
import { recordOf } from './keys.js'
import { checkJob, type ClaimedJob, type DeadLetter, type RefreshJob, type SettledOutcome } from './refresh-queue.js'

/** A claimed payload as the drainer sees it: the job, or why it is not one. */
export function toClaimed(receipt: string, raw: string): ClaimedJob {
  try {
    return { receipt, raw, job: checkJob(JSON.parse(raw)) }
  } catch (err) {
    return { receipt, raw, job: undefined, invalid: (err as Error).message }
  }
}

/** The record a claimed job refreshes ('' for an invalid job). */
export function recordOfClaim(claim: ClaimedJob): string {
  return claim.job ? recordOf(claim.job.table, claim.job.id) : ''
}

function jobOf(raw: string): RefreshJob | undefined {
  try {
    return checkJob(JSON.parse(raw))
  } catch {
    return undefined
  }
}

/** A dead-letter list entry, as both drivers write it: JSON { raw, reason, failures, at }. */
export function deadLetterEntry(raw: string, reason: string, failures: number, at: number): string {
  return JSON.stringify({ raw, reason, failures, at })
}

export function parseDeadLetter(entry: string): DeadLetter {
  try {
    const e = JSON.parse(entry) as { raw?: unknown; reason?: unknown; failures?: unknown; at?: unknown }
    const raw = typeof e.raw === 'string' ? e.raw : entry
    return { raw, job: jobOf(raw), reason: String(e.reason ?? ''), failures: Number(e.failures ?? 0), at: Number(e.at ?? 0) }
  } catch {
    return { raw: entry, job: undefined, reason: 'unreadable dead-letter entry', failures: 0, at: 0 }
  }
}

export async function readTotals(redis: Redis, key: string): Promise<Record<SettledOutcome, number>> {
  const hash = await redis.hgetall(key)
  return { refreshed: Number(hash.refreshed ?? 0), superseded: Number(hash.superseded ?? 0) }
}
