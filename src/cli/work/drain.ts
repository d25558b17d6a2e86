// The work of `cutover drain`, apart from its argument parsing: typed
// options in, events out, a summary back.
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { Redis } from 'ioredis'
import mysql, { type Pool } from 'mysql2/promise'
import { demoRefreshMany } from '../../demo/refresh-many.js'
import { openDemoDatabase, openDemoRedis } from '../../demo/services.js'
import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { Meter } from '../../meter/meter.js'
import { meterPool } from '../../meter/wrap-pool.js'
import { meterDrainer } from '../../meter/wrap-drain.js'
import { createQueueControl, type QueueControl, type QueueStatus, type RetireResult } from '../../queue/control.js'
import type { ChargeHook, RefreshMany } from '../../queue/drain-options.js'
import type { DrainSchedule } from '../../queue/drain-settings.js'
import { createDrainer } from '../../queue/drainer.js'
import type { DrainFault, DrainProgress, DrainResult } from '../../queue/drainer-events.js'
import { ListRefreshQueue } from '../../queue/list-queue.js'
import { mysqlThreadsRunning } from '../../queue/pressure.js'
import type { DrainableQueue } from '../../queue/refresh-queue.js'

/** Where `refreshMany` comes from: a module of the app's, or the demo's products refresher. */
export type RefresherSource = { kind: 'module'; path: string } | { kind: 'demo'; database: string }

export interface DrainRunOptions {
  redisUrl: string
  /** Prefix of the queue's keys (and of the demo's object keys). */
  prefix: string
  name: string
  driver: 'list' | 'bullmq'
  /** Absent: nothing is drained (with `retire`: retire an empty queue). */
  refresher: RefresherSource | undefined
  /** MySQL for the demo refresher and the Threads_running probe. */
  mysqlUrl: string | undefined
  rate: number | undefined
  schedule: DrainSchedule | undefined
  batchSize: number | undefined
  visibilityMs: number | undefined
  maxFailures: number | undefined
  latencyMs: number | undefined
  threadsRunning: number | undefined
  untilDepth: number
  /** Charge drained jobs (and the demo refresher's reads) to their routes in the meter under this prefix. */
  meterPrefix: string | undefined
  retire: { quietMs: number } | undefined
}

export type DrainEvent =
  | { type: 'start'; status: QueueStatus }
  | { type: 'progress'; progress: DrainProgress }
  | { type: 'fault'; fault: DrainFault }
  | { type: 'done'; result: DrainResult }
  | { type: 'retired'; result: RetireResult }

export interface DrainRunSummary {
  /** The depth reached --until-depth. */
  reached: boolean
  depth: number
  drained: DrainResult | undefined
  retired: RetireResult | undefined
}

async function openQueue(options: DrainRunOptions, redis: Redis): Promise<DrainableQueue> {
  const base = { redis, prefix: options.prefix, name: options.name }
  if (options.driver === 'list') return new ListRefreshQueue(base)
  // Loaded only here: bullmq is an optional peer dependency.
  const { BullmqRefreshQueue } = await import('../../queue/bullmq-queue.js')
  return new BullmqRefreshQueue(base)
}

async function loadModule(path: string): Promise<{ refreshMany: RefreshMany; close?: () => Promise<void> }> {
  const mod = (await import(pathToFileURL(resolve(path)).href)) as { refreshMany?: unknown; default?: unknown; close?: unknown }
  const refreshMany = mod.refreshMany ?? mod.default
  if (typeof refreshMany !== 'function') throw new CUTOVER_ERR_CLI_USAGE(`--refresher ${path} must export refreshMany(table, ids) (named or default)`)
  return { refreshMany: refreshMany as RefreshMany, ...(typeof mod.close === 'function' ? { close: mod.close as () => Promise<void> } : {}) }
}

/** Sets the drain running, at the rate asked for (or the one in force). */
async function startSettings(control: QueueControl, options: DrainRunOptions): Promise<void> {
  if (options.schedule) await control.setDrain({ state: 'running', schedule: options.schedule })
  else if (options.rate !== undefined) await control.setDrain({ state: 'running', rate: options.rate })
  else if ((await control.drainSettings()).state !== 'running') await control.setDrain({ state: 'running' })
}

interface Resources {
  redis: Redis
  queue?: DrainableQueue
  pool?: Pool
  meter?: Meter
  meterRedis?: Redis
  close?: () => Promise<void>
}

async function release(r: Resources): Promise<void> {
  await r.meter?.close().catch(() => undefined)
  await r.close?.().catch(() => undefined)
  await r.queue?.close().catch(() => undefined)
  await r.pool?.end().catch(() => undefined)
  r.meterRedis?.disconnect()
  r.redis.disconnect()
}

/** Drains the queue to `untilDepth` (when a refresher is given), then retires it (when asked). */
export async function runDrain(options: DrainRunOptions, emit: (event: DrainEvent) => void, signal?: AbortSignal): Promise<DrainRunSummary> {
  const r: Resources = { redis: await openDemoRedis(options.redisUrl) }
  try {
    r.queue = await openQueue(options, r.redis)
    const control = createQueueControl({ redis: r.redis, queue: r.queue })
    if (options.refresher?.kind === 'demo' && options.mysqlUrl) r.pool = await openDemoDatabase(options.mysqlUrl, options.refresher.database, 4)
    else if (options.mysqlUrl) r.pool = mysql.createPool({ uri: options.mysqlUrl, connectionLimit: 2 })
    if (options.meterPrefix) {
      const meterRedis = r.redis.duplicate()
      r.meterRedis = meterRedis
      r.meter = new Meter({ redis: meterRedis, prefix: options.meterPrefix })
    }
    let drained: DrainResult | undefined
    if (options.refresher) {
      const refreshMany = await refresherFor(options, r)
      await startSettings(control, options)
      emit({ type: 'start', status: await control.status() })
      drained = await drain(options, r, refreshMany, emit, signal)
    }
    const depth = (await control.status()).depth
    const reached = depth <= options.untilDepth
    let retired: RetireResult | undefined
    if (options.retire && reached) {
      retired = await control.retireQueue(options.retire)
      emit({ type: 'retired', result: retired })
    }
    return { reached, depth, drained, retired }
  } finally {
    await release(r)
  }
}

async function refresherFor(options: DrainRunOptions, r: Resources): Promise<RefreshMany> {
  if (options.refresher?.kind === 'module') {
    const mod = await loadModule(options.refresher.path)
    if (mod.close) r.close = mod.close
    return mod.refreshMany
  }
  if (!r.pool) throw new CUTOVER_ERR_CLI_USAGE('--demo needs MySQL: --db mysql://... (or MYSQL_URL)')
  const pool = r.meter ? meterPool(r.pool, r.meter) : r.pool
  return demoRefreshMany({ pool, redis: r.redis, prefix: options.prefix })
}

async function drain(options: DrainRunOptions, r: Resources, refreshMany: RefreshMany, emit: (e: DrainEvent) => void, signal?: AbortSignal): Promise<DrainResult> {
  const charge: ChargeHook | undefined = r.meter ? meterDrainer(r.meter).charge : undefined
  const pressure = {
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
    ...(options.threadsRunning !== undefined ? { threadsRunning: options.threadsRunning } : {}),
    ...(r.pool ? { probe: mysqlThreadsRunning(r.pool) } : {}),
  }
  const drainer = createDrainer({
    queue: r.queue as DrainableQueue,
    redis: r.redis,
    refreshMany,
    untilDepth: options.untilDepth,
    pressure,
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
    ...(options.visibilityMs !== undefined ? { visibilityMs: options.visibilityMs } : {}),
    ...(options.maxFailures !== undefined ? { maxFailures: options.maxFailures } : {}),
    ...(charge ? { charge } : {}),
  })
  drainer.on('progress', (progress) => emit({ type: 'progress', progress }))
  drainer.on('fault', (fault) => emit({ type: 'fault', fault }))
  const stop = (): void => void drainer.stop()
  signal?.addEventListener('abort', stop, { once: true })
  try {
    const result = await drainer.start()
    emit({ type: 'done', result })
    return result
  } finally {
    signal?.removeEventListener('abort', stop)
  }
}
