import { hostname } from 'node:os'
import type mysql from 'mysql2/promise'
import { CUTOVER_ERR_PLAYBOOK_LOCKED, CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID, CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE } from '../errors.js'
import type { FlagAdminWriter } from '../flags/admin-writer.js'
import type { EventBody, GateReading, JournalEvent } from './events.js'
import { Journal } from './journal.js'
import { takeRunnerLock, withJournalLock, type HeldLock } from './locks.js'
import { decide } from './machine.js'
import type { Playbook } from './model.js'
import type { PlaybookQueueControl } from './queue-control.js'
import { carryOut, actionName } from './reconcile.js'
import { collectReadings, readingNeeds, type MeterSource } from './readings.js'
import { needsKnownRoutes, resolveRoutes } from './routes.js'
import { initialState, scaledAt, type RunState } from './state.js'
import { pendingActions } from './targets.js'

export interface PlaybookRunnerOptions {
  playbook: Playbook
  /** The database with the journal and the shadow tables. */
  pool: mysql.Pool
  /** Where route flags are written (Unleash Admin API or the flags file). */
  writer: FlagAdminWriter
  /** The refresh queue's control plane; needed when the playbook has queue actions or gates. */
  queue?: PlaybookQueueControl | undefined
  /** The meter's Redis; needed when the playbook has traffic gates. */
  meter?: MeterSource | undefined
  /**
   * Divides every hold and the window clock (a week in minutes for a demo).
   * @default 1
   */
  timeScale?: number
  /** Clock, epoch ms. @default Date.now */
  now?: () => number
  /**
   * Where the playbook clock starts (epoch ms) when the journal is new: a demo
   * starts its week on a Monday at 09:00 rather than whenever it is run. A
   * journal that has a clock keeps it. @default the machine's clock at start
   */
  clockStart?: number
  /** Who the journal says acted. @default `runner@<host>:<pid>` */
  actor?: string
  /** Seconds to wait for the journal lock (a person's command may hold it). @default 30 */
  journalLockTimeoutS?: number
}

/** What one tick did. */
export interface TickReport {
  /** Events others journaled since the last tick (approvals, pauses, rollbacks), then this tick's. */
  events: JournalEvent[]
  readings: GateReading[]
  state: RunState
  /** The route ids the playbook's routes resolved to at this tick. */
  routes: string[]
}

const TRAFFIC = new Set(['errorRate', 'p99', 'dbCallsPerRequest'])

function checkOptions(o: PlaybookRunnerOptions): number {
  const scale = o.timeScale ?? 1
  if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
    throw new CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID('timeScale to be a positive number', JSON.stringify(scale))
  }
  if (o.playbook.usesQueue && !o.queue) {
    throw new CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE(o.playbook.name, 'actions or gates', 'pass a queue control (the drain side\'s createQueueControl)')
  }
  if (o.clockStart !== undefined && !Number.isFinite(o.clockStart)) {
    throw new CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID('clockStart to be epoch ms', JSON.stringify(o.clockStart))
  }
  if (!o.meter && o.playbook.stages.some((s) => s.gates.some((g) => TRAFFIC.has(g.kind)))) {
    throw new CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID('meter (the Redis the app\'s meter writes to) for the errorRate, p99 and dbCallsPerRequest gates', 'none')
  }
  return scale
}

/**
 * Applies a playbook: one runner per playbook (a MySQL named lock), state
 * folded from the journal, every decision and write journaled before the
 * next. A runner that restarts (after a crash too) picks up the same stages
 * with their holds as spent as they were, and finishes any write the journal
 * does not confirm, reading first, so nothing is done twice or skipped.
 */
export class PlaybookRunner {
  readonly playbook: Playbook
  readonly journal: Journal
  readonly timeScale: number
  #lock: HeldLock | undefined
  #state: RunState
  #streaks = new Map<string, number>()
  readonly #o: PlaybookRunnerOptions
  readonly #now: () => number
  readonly #actor: string

  constructor(options: PlaybookRunnerOptions) {
    this.timeScale = checkOptions(options)
    this.#o = options
    this.playbook = options.playbook
    this.journal = new Journal(options.pool, options.playbook.name)
    this.#state = initialState(options.playbook.name)
    this.#now = options.now ?? Date.now
    this.#actor = options.actor ?? `runner@${hostname()}:${process.pid}`
  }

  get state(): RunState {
    return this.#state
  }

  /** Takes the runner lock (CUTOVER_ERR_PLAYBOOK_LOCKED when another runner has it) and journals the start. */
  async start(): Promise<JournalEvent[]> {
    this.#lock = await takeRunnerLock(this.#o.pool, this.playbook.name)
    try {
      // The history before this start is the journal's; what the start adds is returned.
      return await this.#locked(async () => {
        const bodies: EventBody[] = []
        const start = this.#o.clockStart
        // A new journal's clock: the started event below is stamped with it and folds it in.
        if (!this.#state.clock && start !== undefined) this.#state.clock = { wallAt: this.#now(), scaledAt: start, scale: this.timeScale }
        if (this.#state.hash !== undefined && this.#state.hash !== this.playbook.hash) bodies.push({ kind: 'playbook_changed', from: this.#state.hash, to: this.playbook.hash })
        bodies.push({ kind: 'started', scale: this.timeScale, hash: this.playbook.hash, by: this.#actor })
        return this.journal.append(this.#state, bodies, this.#now())
      })
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  /** One tick: read the journal, the gates' readings; decide; journal; carry out the writes. */
  async tick(): Promise<TickReport> {
    await this.#ensureLock()
    return this.#locked(async (others) => {
      const wall = this.#now()
      const routes = await this.#routes()
      const readings = await collectReadings({ pool: this.#o.pool, meter: this.#o.meter, queue: this.#o.queue }, readingNeeds(this.playbook, this.#state), wall)
      const result = decide({ playbook: this.playbook, state: this.#state, routes, readings, wall, streaks: this.#streaks })
      this.#streaks = result.streaks
      await this.journal.recordReadings(result.readings, wall, scaledAt(this.#state.clock, wall))
      const events = [...others, ...(await this.journal.append(this.#state, result.events, wall))]
      events.push(...(await this.#carryOut()))
      return { events, readings: result.readings, state: this.#state, routes }
    })
  }

  /**
   * The lock lives as long as its connection: after MySQL restarted (or the
   * connection dropped) take it again, unless another runner took it meanwhile.
   */
  async #ensureLock(): Promise<void> {
    if (!this.#lock) throw new CUTOVER_ERR_PLAYBOOK_LOCKED(this.playbook.name, '(none)', 'none: this runner was not started')
    const held = await this.#lock.held().catch(() => false)
    if (held) return
    await this.#lock.release().catch(() => {})
    this.#lock = undefined
    // A dropped session lets go of its lock a moment after it ends: wait that long, not more.
    this.#lock = await takeRunnerLock(this.#o.pool, this.playbook.name, 2)
  }

  /** Releases the runner lock. */
  async stop(): Promise<void> {
    const lock = this.#lock
    this.#lock = undefined
    await lock?.release().catch(() => {})
  }

  /** Runs `work` under the journal lock, with the events others journaled since this runner last looked. */
  async #locked<T>(work: (others: JournalEvent[]) => Promise<T>): Promise<T> {
    return withJournalLock(this.#o.pool, this.playbook.name, this.#o.journalLockTimeoutS ?? 30, async () => work(await this.journal.catchUp(this.#state)))
  }

  async #routes(): Promise<string[]> {
    if (!needsKnownRoutes(this.playbook.routes)) return resolveRoutes(this.playbook.routes, [])
    if (!this.#o.writer.listRoutes) {
      throw new CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID(`writer that lists routes (${this.#o.writer.kind} does not) for the route patterns of ${this.playbook.file}`, 'none')
    }
    return resolveRoutes(this.playbook.routes, await this.#o.writer.listRoutes())
  }

  async #carryOut(): Promise<JournalEvent[]> {
    return carryOutPending(this.journal, this.#state, { writer: this.#o.writer, queue: this.#o.queue }, this.#now)
  }
}

/**
 * Makes every write the journal does not confirm, journaling each as it is
 * made; a failure is journaled (once while it repeats) and retried next time.
 * Call it under the journal lock.
 */
export async function carryOutPending(
  journal: Journal,
  state: RunState,
  targets: { writer: FlagAdminWriter; queue?: PlaybookQueueControl | undefined },
  now: () => number,
): Promise<JournalEvent[]> {
  const out: JournalEvent[] = []
  for (const action of pendingActions(state)) {
    let body: EventBody
    try {
      body = await carryOut(action, { ...targets, playbook: journal.playbook })
    } catch (err) {
      const e = err as Error & { code?: string }
      const error = `${e.code ? e.code + ': ' : ''}${e.message}`
      const route = 'route' in action ? action.route : null
      const last = route === null ? state.queue.lastError : state.routes.get(route)?.lastError
      if (last === `${actionName(action)}: ${error}`) continue
      body = { kind: 'action_failed', route, action: actionName(action), error }
    }
    out.push(...(await journal.append(state, [body], now())))
  }
  return out
}
