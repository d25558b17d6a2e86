// The ledger: the proof that a drain loses nothing. A known set of jobs (with
// duplicates, deduped ones, poison and unparseable ones) is drained by two
// drainers in processes of their own, killed with SIGKILL at random moments
// and restarted; then every enqueued job is accounted for exactly once, as
// refreshed, superseded (its record refreshed by another job of the same
// batch), deduped (refused at enqueue: its record had a job waiting) or
// dead-lettered, the counts add up to what was enqueued, and every record
// that is not poison was refreshed.
import { fork, type ChildProcess } from 'node:child_process'
import { Queue } from 'bullmq'
import { afterAll, describe, expect, it } from 'vitest'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { bullmqPrefix, listQueueKeys } from '../../src/queue/keys.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import type { AddEntry, DrainableQueue, RefreshJob } from '../../src/queue/refresh-queue.js'
import { redisForTest, type RedisForTest } from '../helpers/redis.js'
import { REDIS_URL } from '../helpers/services.js'

const JOBS = 50_000
const RECORDS = 12_000
const INVALID = 5
const KILLS = 6

/**
 * Job i: records come in threes (two deduped jobs, then one passed), and
 * again further on; each job has an origin of its own, so it is known by its payload.
 */
function jobOf(i: number): RefreshJob {
  const group = Math.floor(i / 3)
  const table = group % 10 === 0 ? 'categories' : 'products'
  const id = ((group * 7919) % RECORDS) + 1
  return { table, id, origin: `route.${i}` }
}

/** Records whose refresh always fails (a row the app's mapper chokes on). */
const POISON = [jobOf(30), jobOf(13), jobOf(4241)].map((j) => `${j.table}:${j.id}`)

async function injectInvalid(env: RedisForTest, driver: string, prefix: string): Promise<string[]> {
  const raws: string[] = []
  if (driver === 'list') {
    for (let i = 0; i < INVALID; i++) raws.push(`not a job ${i}`)
    await env.redis.lpush(listQueueKeys(prefix, 'ledger').waiting, ...raws)
    return raws
  }
  const foreign = new Queue('ledger', { connection: env.connect(), prefix: bullmqPrefix(prefix, 'ledger') })
  for (let i = 0; i < INVALID; i++) {
    await foreign.add('x', { junk: i })
    raws.push(JSON.stringify({ junk: i }))
  }
  await foreign.close()
  return raws
}

function startDrainer(driver: string, prefix: string, untilEmpty: boolean): ChildProcess {
  const child = fork(new URL('./fixtures/ledger-drainer.ts', import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REDIS_URL, PREFIX: prefix, DRIVER: driver, POISON: POISON.join(','), RATE: '4000', UNTIL_EMPTY: untilEmpty ? '1' : '0' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  return child
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve(child.exitCode) : new Promise((resolve) => child.once('exit', (code) => resolve(code)))

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Enqueues the jobs in batches of 1000, two in three deduped; resolves to the payloads refused. */
async function enqueue(queue: DrainableQueue, from: number, to: number): Promise<string[]> {
  const deduped: string[] = []
  for (let start = from; start < to; start += 1000) {
    const entries: AddEntry[] = []
    for (let i = start; i < Math.min(to, start + 1000); i++) entries.push({ job: jobOf(i), dedupe: i % 3 !== 2 })
    const added = await queue.add(entries)
    added.forEach((ok, k) => ok || deduped.push(JSON.stringify(entries[k]?.job)))
  }
  return deduped
}

describe.each(['list', 'bullmq'])('the ledger on the %s driver', (driver) => {
  const env = redisForTest(`ledger-${driver}`)
  const children = new Set<ChildProcess>()
  afterAll(async () => {
    for (const child of children) child.kill('SIGKILL')
    await env.cleanup()
  })

  it(`accounts for every one of ${JOBS} jobs across ${KILLS} SIGKILLs of two drainers`, async () => {
    const prefix = env.prefix
    const queue: DrainableQueue = driver === 'bullmq' ? new BullmqRefreshQueue({ redis: env.redis, prefix, name: 'ledger' }) : new ListRefreshQueue({ redis: env.redis, prefix, name: 'ledger' })
    const started = Date.now()
    const invalid = await injectInvalid(env, driver, prefix)
    const deduped = await enqueue(queue, 0, JOBS / 2)
    const spawn = (untilEmpty: boolean): ChildProcess => {
      const child = startDrainer(driver, prefix, untilEmpty)
      children.add(child)
      child.once('exit', () => children.delete(child))
      return child
    }
    const drainers = [spawn(false), spawn(false)]
    // The second half arrives while the drain runs, as a live producer's would.
    const producing = enqueue(queue, JOBS / 2, JOBS)
    let kills = 0
    while (kills < KILLS) {
      await sleep(400 + Math.random() * 900)
      const i = Math.floor(Math.random() * 2)
      drainers[i]?.kill('SIGKILL')
      await exited(drainers[i] as ChildProcess)
      kills++
      drainers[i] = spawn(false)
    }
    deduped.push(...(await producing))
    const depthAtLastKill = await queue.depth()
    // Stop the survivors cleanly and finish with two drainers that exit once the queue is empty.
    for (const child of drainers) child.kill('SIGTERM')
    await Promise.all(drainers.map(exited))
    const finals = [spawn(true), spawn(true)]
    expect(await Promise.all(finals.map(exited))).toEqual([0, 0])
    expect(await queue.depth()).toBe(0)

    const outcomes = await env.redis.hgetall(`${prefix}:ledger:outcomes`)
    const refreshes = await env.redis.hgetall(`${prefix}:ledger:refreshes`)
    const dead = new Set((await queue.deadLetters(100_000)).map((d) => d.raw))
    const refused = new Set(deduped)
    const ledger = { refreshed: 0, superseded: 0, deduped: 0, deadLettered: 0 }
    const missing: string[] = []
    const twice: string[] = []
    const account = (raw: string, wasDeduped: boolean): void => {
      const categories = [wasDeduped, raw in outcomes, dead.has(raw)].filter(Boolean).length
      if (categories === 0) missing.push(raw)
      if (categories > 1) twice.push(raw)
      if (wasDeduped) ledger.deduped++
      else if (dead.has(raw)) ledger.deadLettered++
      else if (outcomes[raw] === 'refreshed') ledger.refreshed++
      else if (outcomes[raw] === 'superseded') ledger.superseded++
    }
    const records = new Set<string>()
    for (let i = 0; i < JOBS; i++) {
      const job = jobOf(i)
      const raw = JSON.stringify(job)
      records.add(`${job.table}:${job.id}`)
      account(raw, refused.has(raw))
    }
    for (const raw of invalid) account(raw, false)
    expect(missing).toEqual([])
    expect(twice).toEqual([])
    expect(ledger.refreshed + ledger.superseded + ledger.deduped + ledger.deadLettered).toBe(JOBS + INVALID)
    expect(Object.keys(outcomes).length).toBe(ledger.refreshed + ledger.superseded)
    // Every record was refreshed, but the poison ones, whose every job is a dead letter.
    const notRefreshed = [...records].filter((r) => !refreshes[r])
    expect(notRefreshed.sort()).toEqual([...POISON].sort())
    for (const letter of await queue.deadLetters(100_000)) {
      if (letter.job) {
        expect(POISON).toContain(`${letter.job.table}:${letter.job.id}`)
        expect(letter.reason).toMatch(/poison record/)
      } else {
        expect(letter.reason).toMatch(/not a refresh job/)
      }
    }
    // The list driver counts outcomes in the same script that acks: exactly once per job.
    const totals = await queue.totals()
    if (driver === 'list') expect(totals).toEqual({ refreshed: ledger.refreshed, superseded: ledger.superseded })
    expect(ledger.superseded).toBeGreaterThan(0)
    expect(ledger.deduped).toBeGreaterThan(0)
    console.warn(`ledger ${driver}: ${JSON.stringify(ledger)}, ${kills} SIGKILLs (depth ${depthAtLastKill} at the last), ${((Date.now() - started) / 1000).toFixed(1)} s`)
    await queue.close()
  }, 240_000)
})
