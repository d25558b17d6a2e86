// Refreshing one claimed batch: one refreshMany per table, a failing record
// isolated by halving the group (log2(n) extra queries per bad record, so one
// poison job never fails the whole batch), and the database being out of
// reach told apart from a bad record.
import { halves, originsOf, settledJobs, sortBatch, type RecordJobs } from './drain-batch.js'
import type { CheckedDrainerOptions, SettledJob } from './drain-options.js'
import type { ClaimedJob, FailedClaim } from './refresh-queue.js'

/** refreshMany failed in a way that says the database is unreachable: the batch goes back. */
export class DatabaseUnavailable extends Error {
  constructor(readonly error: unknown) {
    super(`the database is unreachable: ${(error as Error)?.message ?? String(error)}`)
  }
}

export interface BatchOutcome {
  /** Jobs refreshed or superseded, to ack. */
  settled: SettledJob[]
  /** Jobs whose record failed, to count a failure against. */
  failed: FailedClaim[]
  /** Jobs that are not valid jobs, to dead-letter at once. */
  invalid: FailedClaim[]
  /** Jobs of the tables not refreshed because the database went away (release them). */
  returned: ClaimedJob[]
  /** Set when the database went away. */
  unavailable: DatabaseUnavailable | undefined
  /** refreshMany calls made. */
  queries: number
  /** The slowest refreshMany call, ms (undefined when none succeeded). */
  latencyMs: number | undefined
}

type Options = Pick<CheckedDrainerOptions, 'refreshMany' | 'charge' | 'isTransient'>

interface GroupResult {
  ok: RecordJobs[]
  failed: Array<{ record: RecordJobs; reason: string }>
}

async function refreshRecords(options: Options, table: string, records: RecordJobs[], out: BatchOutcome): Promise<GroupResult> {
  const ids = records.map((r) => r.id)
  const started = Date.now()
  try {
    out.queries++
    const work = (): Promise<void> => options.refreshMany(table, ids)
    await (options.charge ? options.charge(originsOf(records), work) : work())
    out.latencyMs = Math.max(out.latencyMs ?? 0, Date.now() - started)
    return { ok: records, failed: [] }
  } catch (err) {
    if (options.isTransient(err)) throw new DatabaseUnavailable(err)
    if (records.length === 1) return { ok: [], failed: [{ record: records[0] as RecordJobs, reason: `refreshMany(${table}) failed: ${(err as Error)?.message ?? String(err)}` }] }
    const [a, b] = halves(records)
    const left = await refreshRecords(options, table, a, out)
    const right = await refreshRecords(options, table, b, out)
    return { ok: [...left.ok, ...right.ok], failed: [...left.failed, ...right.failed] }
  }
}

/** Refreshes a claimed batch table by table; says what to ack, fail, dead-letter and give back. */
export async function refreshBatch(options: Options, claimed: readonly ClaimedJob[]): Promise<BatchOutcome> {
  const sorted = sortBatch(claimed)
  const out: BatchOutcome = {
    settled: [],
    failed: [],
    invalid: sorted.invalid.map((claim) => ({ claim, reason: `not a refresh job: ${claim.invalid ?? 'unreadable'}` })),
    returned: [],
    unavailable: undefined,
    queries: 0,
    latencyMs: undefined,
  }
  for (const group of sorted.tables) {
    const records = [...group.records.values()]
    if (out.unavailable) {
      out.returned.push(...records.flatMap((r) => r.jobs))
      continue
    }
    try {
      const result = await refreshRecords(options, group.table, records, out)
      out.settled.push(...settledJobs(result.ok))
      for (const { record, reason } of result.failed) out.failed.push(...record.jobs.map((claim) => ({ claim, reason })))
    } catch (err) {
      if (!(err instanceof DatabaseUnavailable)) throw err
      out.unavailable = err
      out.returned.push(...records.flatMap((r) => r.jobs))
    }
  }
  return out
}
