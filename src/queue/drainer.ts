import { EventEmitter } from 'node:events'
import { createQueueControl, type QueueControl, type QueueStatus } from './control.js'
import { checkDrainerOptions, type CheckedDrainerOptions, type DrainerOptions } from './drain-options.js'
import { rateAt, type DrainSchedule, type DrainSettings } from './drain-settings.js'
import { afterOutage, initialPressure, nextPressure, pressureReason, type PressureState } from './pressure.js'
import { GlobalRateLimiter, RateWindow, wantAt } from './rate-limiter.js'
import { refreshBatch, type BatchOutcome } from './refresh-batch.js'
import type { DrainerEvents, DrainerState, DrainerTotals, DrainProgress, DrainResult } from './drainer-events.js'
export type { DrainerEvents, DrainerState, DrainerTotals, DrainFault, DrainProgress, DrainResult } from './drainer-events.js'
import type { ClaimedJob } from './refresh-queue.js'

const IDLE_MS = 250
const backoffMs = (attempt: number, cap: number): number => Math.min(cap, 250 * 2 ** Math.min(attempt, 10))

/**
 * Works a refresh queue's backlog off: claims jobs in batches under a
 * visibility timeout (at-least-once: a killed drainer's jobs come back),
 * dedupes each batch by record and refreshes it with one `refreshMany(table,
 * ids)` per table, at the control plane's rate (global across drainers),
 * backing off under MySQL pressure. Redis or MySQL going away pauses it; it
 * resumes by itself.
 */
export class Drainer extends EventEmitter<DrainerEvents> {
  readonly id: string
  readonly control: QueueControl
  private readonly options: CheckedDrainerOptions
  private readonly limiter: GlobalRateLimiter
  private readonly window = new RateWindow()
  private readonly totals: DrainerTotals = { batches: 0, queries: 0, refreshed: 0, superseded: 0, retried: 0, deadLettered: 0 }
  private pressure: PressureState
  private pressureNote: string | undefined
  private state: DrainerState = 'starting'
  private stopping = false
  private running: Promise<DrainResult> | undefined
  private wake: (() => void) | undefined
  private startedAt = 0
  private lastProgress = -Infinity
  private lastProbe = -Infinity
  private faults = 0
  private settings: DrainSettings = { state: 'running', updatedAt: 0 }
  private finish: DrainResult['reason'] | undefined

  constructor(options: DrainerOptions) {
    super()
    this.options = checkDrainerOptions(options)
    this.id = this.options.id
    this.control = createQueueControl({ redis: this.options.redis, queue: this.options.queue })
    this.limiter = new GlobalRateLimiter(this.options.redis, this.options.queue.shared.rate)
    this.pressure = initialPressure(Date.now())
  }

  /** Starts draining (once); resolves when it ends. */
  start(): Promise<DrainResult> {
    this.running ??= this.loop()
    return this.running
  }

  /** Stops this drainer after its current batch; other drainers go on. */
  async stop(): Promise<DrainResult> {
    this.stopping = true
    this.wake?.()
    return this.running ?? this.start()
  }

  /** Pauses every drainer of the queue (the control plane's state). */
  async pause(): Promise<DrainSettings> {
    return this.control.setDrain({ state: 'paused' })
  }

  async resume(): Promise<DrainSettings> {
    return this.control.setDrain({ state: 'running' })
  }

  /** Changes the rate of every drainer of the queue: a constant rate in jobs/s, or a ramp. */
  async setRate(rate: number | DrainSchedule): Promise<DrainSettings> {
    const { state } = await this.control.drainSettings()
    return this.control.setDrain(typeof rate === 'number' ? { state, rate } : { state, schedule: rate })
  }

  async status(): Promise<QueueStatus & { id: string; state: DrainerState; totals: DrainerTotals }> {
    return { ...(await this.control.status()), id: this.id, state: this.state, totals: { ...this.totals } }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve()
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms)
      function done(): void {
        clearTimeout(timer)
        resolve()
      }
      this.wake = done
    })
  }

  private async loop(): Promise<DrainResult> {
    this.startedAt = Date.now()
    await this.seedSettings()
    while (!this.stopping && this.finish === undefined) {
      try {
        await this.step()
        this.faults = 0
      } catch (err) {
        await this.onFault(err)
      }
    }
    const result: DrainResult = { reason: this.finish ?? 'stopped', totals: { ...this.totals }, durationMs: Date.now() - this.startedAt }
    this.state = 'stopped'
    await this.control.forgetDrainer(this.id).catch(() => undefined)
    this.emit('done', result)
    return result
  }

  /** The first drainer of a queue writes its own rate as the settings, when there are none yet. */
  private async seedSettings(): Promise<void> {
    for (;;) {
      try {
        const current = await this.control.drainSettings()
        if (current.updatedAt > 0) return
        const { rate, schedule } = this.options
        await this.control.setDrain(schedule ? { state: 'running', schedule } : { state: 'running', rate })
        return
      } catch (err) {
        if (this.stopping) return
        await this.onFault(err)
      }
    }
  }

  private async onFault(err: unknown): Promise<void> {
    const mysql = err instanceof DatabaseUnavailableSignal
    const retryInMs = backoffMs(this.faults++, mysql ? 10_000 : 5000)
    this.state = mysql ? 'backing-off' : 'redis-down'
    if (mysql) this.pressure = afterOutage(Date.now())
    this.emit('fault', { kind: mysql ? 'mysql' : 'redis', error: mysql ? err.error : err, retryInMs })
    await this.sleep(retryInMs)
  }

  private async step(): Promise<void> {
    await this.tick()
    if (this.finish !== undefined || this.stopping) return
    if (this.settings.state === 'stopped') {
      this.finish = 'stopped'
      return
    }
    if (this.settings.state === 'paused') {
      this.state = 'paused'
      return this.sleep(IDLE_MS)
    }
    const rate = this.targetRate() * this.pressure.factor
    const want = wantAt(rate, this.options.batchSize)
    const { granted, waitMs } = await this.limiter.take(rate, want)
    if (granted === 0) return this.sleep(Math.min(waitMs, 1000))
    const claimed = await this.options.queue.claim(granted, this.options.visibilityMs)
    await this.limiter.refund(rate, granted - claimed.length)
    if (claimed.length === 0) {
      this.state = 'idle'
      await this.tick(true)
      return this.sleep(IDLE_MS)
    }
    this.state = 'running'
    await this.work(claimed)
    // Above 0 the queue is not empty when the drain is to stop: check after every batch, not once a tick.
    const until = this.options.untilDepth
    if (until !== undefined && until > 0 && (await this.options.queue.depth()) <= until) await this.tick(true)
  }

  private targetRate(): number {
    return rateAt(this.settings, Date.now(), this.options.rate)
  }

  private async work(claimed: readonly ClaimedJob[]): Promise<void> {
    const { queue, maxFailures, audit } = this.options
    const outcome = await refreshBatch(this.options, claimed)
    if (outcome.invalid.length > 0) await queue.deadLetter(outcome.invalid)
    if (outcome.settled.length > 0) {
      await audit?.(outcome.settled)
      await queue.ack(outcome.settled.map((s) => s.claim), outcome.settled.map((s) => s.outcome))
    }
    const dead = outcome.failed.length > 0 ? await queue.fail(outcome.failed, maxFailures) : []
    if (outcome.returned.length > 0) await queue.release(outcome.returned)
    this.count(claimed.length, outcome, dead.length)
    this.emit('batch', { claimed: claimed.length, outcome })
    if (outcome.unavailable) throw new DatabaseUnavailableSignal(outcome.unavailable.error)
    this.pressure = nextPressure(this.pressure, { latencyMs: outcome.latencyMs }, this.bounds(), Date.now())
    this.pressureNote = pressureReason({ latencyMs: outcome.latencyMs }, this.bounds()) ?? this.pressureNote
  }

  private count(claimed: number, outcome: BatchOutcome, dead: number): void {
    const t = this.totals
    t.batches++
    t.queries += outcome.queries
    for (const s of outcome.settled) t[s.outcome]++
    t.deadLettered += dead + outcome.invalid.length
    t.retried += outcome.failed.length - dead
    this.window.add(Date.now(), claimed - outcome.returned.length)
  }

  private bounds(): { latencyMs: number; threadsRunning: number } {
    return { latencyMs: this.options.latencyMs, threadsRunning: this.options.threadsRunning }
  }

  /** Re-reads the settings; at most every progressEveryMs (or when forced): probe, report, progress, until-depth. */
  private async tick(force = false): Promise<void> {
    this.settings = await this.control.drainSettings()
    const now = Date.now()
    await this.probe(now)
    if (!force && now - this.lastProgress < this.options.progressEveryMs) return
    this.lastProgress = now
    const rate = this.window.rate(now, this.startedAt)
    await this.control.reportDrainer(this.id, { rate })
    const status = await this.control.status()
    this.emit('progress', this.progress(now, rate, status))
    const until = this.options.untilDepth
    if (until !== undefined && status.depth <= until) this.finish = 'empty'
  }

  private async probe(now: number): Promise<void> {
    const probe = this.options.probe
    if (!probe || now - this.lastProbe < this.options.probeEveryMs) return
    this.lastProbe = now
    // An unreachable server shows in refreshMany; the probe only adds a signal when it answers.
    const threadsRunning = await probe().catch(() => undefined)
    if (threadsRunning === undefined) return
    this.pressure = nextPressure(this.pressure, { threadsRunning }, this.bounds(), now)
    this.pressureNote = pressureReason({ threadsRunning }, this.bounds())
  }

  private progress(now: number, rate: number, status: QueueStatus): DrainProgress {
    const drainRate = Math.max(rate, status.drainRate)
    return {
      at: now,
      id: this.id,
      state: this.state,
      depth: status.depth,
      inFlight: status.inFlight,
      deadLetters: status.deadLetters,
      rate,
      drainRate,
      drainers: status.drainers,
      targetRate: this.targetRate(),
      factor: this.pressure.factor,
      etaSeconds: status.depth === 0 ? 0 : drainRate > 0 ? status.depth / drainRate : null,
      settings: status.settings,
      totals: { ...this.totals },
      ...(this.pressure.factor < 1 && this.pressureNote ? { pressure: this.pressureNote } : {}),
    }
  }
}

/** Thrown out of a batch so the loop backs off as for an outage. */
class DatabaseUnavailableSignal extends Error {
  constructor(readonly error: unknown) {
    super('database unavailable')
  }
}

/** A drainer for a refresh queue; call `start()` to run it. */
export function createDrainer(options: DrainerOptions): Drainer {
  return new Drainer(options)
}
