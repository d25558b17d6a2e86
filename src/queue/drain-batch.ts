// A claimed batch, sorted for refreshing (pure): invalid jobs apart, one
// group per table with each record once, and which job of a record stands
// for it (refreshed) and which ride along (superseded).
import { recordOf } from './keys.js'
import type { ClaimedJob, SettledOutcome } from './refresh-queue.js'

export interface RecordJobs {
  id: string | number
  /** The record's jobs in this batch; the first is the one refreshed. */
  jobs: ClaimedJob[]
}

export interface TableGroup {
  table: string
  /** Record key (recordOf) -> its jobs. */
  records: Map<string, RecordJobs>
}

export interface SortedBatch {
  invalid: ClaimedJob[]
  tables: TableGroup[]
}

export function sortBatch(claimed: readonly ClaimedJob[]): SortedBatch {
  const invalid: ClaimedJob[] = []
  const tables = new Map<string, TableGroup>()
  for (const claim of claimed) {
    const job = claim.job
    if (!job) {
      invalid.push(claim)
      continue
    }
    let group = tables.get(job.table)
    if (!group) tables.set(job.table, (group = { table: job.table, records: new Map() }))
    const key = recordOf(job.table, job.id)
    const record = group.records.get(key)
    if (record) record.jobs.push(claim)
    else group.records.set(key, { id: job.id, jobs: [claim] })
  }
  return { invalid, tables: [...tables.values()] }
}

/** Jobs per origin route among `records` (what the meter charges a refresh to). */
export function originsOf(records: Iterable<RecordJobs>): Map<string, number> {
  const origins = new Map<string, number>()
  for (const record of records) {
    for (const claim of record.jobs) {
      const origin = claim.job?.origin ?? '(background)'
      origins.set(origin, (origins.get(origin) ?? 0) + 1)
    }
  }
  return origins
}

/** Every job of the records with its outcome: the first of a record refreshed, the rest superseded. */
export function settledJobs(records: Iterable<RecordJobs>): Array<{ claim: ClaimedJob; outcome: SettledOutcome }> {
  const settled: Array<{ claim: ClaimedJob; outcome: SettledOutcome }> = []
  for (const record of records) record.jobs.forEach((claim, i) => settled.push({ claim, outcome: i === 0 ? 'refreshed' : 'superseded' }))
  return settled
}

/** The records of a group split in two halves (for isolating a failing record). */
export function halves(records: readonly RecordJobs[]): [RecordJobs[], RecordJobs[]] {
  const mid = Math.ceil(records.length / 2)
  return [records.slice(0, mid), records.slice(mid)]
}
