import diagnostics from 'node:diagnostics_channel'
import { carryMeterContext } from './context.js'
import type { Meter } from './meter.js'

/**
 * The diagnostics channels mysql2 (3.24 and later) publishes for every
 * statement a connection runs, whatever API sent it: the callback and promise
 * APIs, pools, and what builds on them (knex, Sequelize, TypeORM, Drizzle).
 * The same channels OpenTelemetry's instrumentation can read, so an app that
 * has it pays for no second layer.
 */
const STATEMENT_CHANNELS = ['mysql2:query', 'mysql2:execute']
/** A pool's getConnection: its callback may run from another request's release. */
const POOL_CONNECT_CHANNEL = 'mysql2:pool:connect'

const meters = new Set<Meter>()
let uninstall: (() => void) | undefined

function install(): () => void {
  const count = (): void => {
    for (const meter of meters) meter.countQuery()
  }
  const handlers = { start: count, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} }
  const channels = STATEMENT_CHANNELS.map((name) => diagnostics.tracingChannel(name))
  for (const channel of channels) channel.subscribe(handlers)
  const release = carryMeterContext(diagnostics.tracingChannel(POOL_CONNECT_CHANNEL))
  return () => {
    for (const channel of channels) channel.unsubscribe(handlers)
    release()
  }
}

/**
 * Counts every statement mysql2 runs in this process against the route in
 * the meter context (inline for a request, a refresh read inside a job), at
 * the driver: no pool to wrap, call sites and ORMs stay as they are. Returns
 * a function that stops counting for this meter. Don't also wrap a pool with
 * meterPool for the same meter: its calls would count twice.
 */
export function meterMysql2(meter: Meter): () => void {
  meters.add(meter)
  uninstall ??= install()
  return () => {
    meters.delete(meter)
    if (meters.size === 0 && uninstall) {
      uninstall()
      uninstall = undefined
    }
  }
}
