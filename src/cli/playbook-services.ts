import type { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { openDemoRedis } from '../demo/services.js'
import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import { parseDuration } from '../playbook/duration.js'
import type { Playbook } from '../playbook/model.js'
import { loadPlaybook } from '../playbook/parse.js'
import type { PlaybookQueueControl } from '../playbook/queue-control.js'
import type { MeterSource } from '../playbook/readings.js'
import { mysqlUrlOption } from './command.js'

/** Options of the commands that open the journal (and, for apply, the meter and the queue). */
export const journalOptions = {
  db: { type: 'string' },
  by: { type: 'string' },
} as const

export const serviceOptions = {
  'redis-url': { type: 'string' },
  'meter-prefix': { type: 'string' },
  'bucket-seconds': { type: 'string' },
  'queue-prefix': { type: 'string' },
  'queue-name': { type: 'string' },
} as const

export const journalHelp = `  --db URL             the MySQL database with the journal and the shadow tables
                       (default: $CUTOVER_MYSQL_URL, then $MYSQL_URL; run \`cutover db migrate\` first)
  --by NAME            who acts, for the journal (default: $USER@cli)`

export const serviceHelp = `  --redis-url URL      Redis of the meter and the queue (default: $REDIS_URL, then redis://127.0.0.1:6379)
  --meter-prefix P     the meter's key prefix (default: cutover)
  --bucket-seconds N   the meter's bucket length, as the app's meter has it (default: 60)
  --queue-prefix P     the refresh queue's key prefix (default: cutover)
  --queue-name N       the refresh queue's name (default: refresh)`

export interface ServiceValues {
  db?: string | undefined
  by?: string | undefined
  'redis-url'?: string | undefined
  'meter-prefix'?: string | undefined
  'bucket-seconds'?: string | undefined
  'queue-prefix'?: string | undefined
  'queue-name'?: string | undefined
}

/** The one playbook file a command takes. */
export async function playbookArgument(positionals: string[]): Promise<Playbook> {
  if (positionals.length !== 1) throw new CUTOVER_ERR_CLI_USAGE(`give exactly one playbook file, got ${positionals.length}`)
  return loadPlaybook(positionals[0] as string)
}

export function actor(values: ServiceValues, env: NodeJS.ProcessEnv): string {
  return values.by ?? `${env.USER ?? env.USERNAME ?? 'someone'}@cli`
}

/** --time-scale: a positive number. */
export function timeScaleOption(text: string | undefined): number {
  if (text === undefined) return 1
  const n = Number(text)
  if (text.trim() === '' || !Number.isFinite(n) || n <= 0) throw new CUTOVER_ERR_CLI_USAGE(`--time-scale expects a positive number, got ${JSON.stringify(text)}`)
  return n
}

/** A duration option (`30s`, `1m`). */
export function durationOption(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback
  const ms = parseDuration(text)
  if (ms === undefined || ms <= 0) throw new CUTOVER_ERR_CLI_USAGE(`--${name} expects a duration such as 30s or 5m, got ${JSON.stringify(text)}`)
  return ms
}

export function openJournalPool(values: ServiceValues, env: NodeJS.ProcessEnv): mysql.Pool {
  return mysql.createPool({ uri: mysqlUrlOption(values.db, env), connectionLimit: 4 })
}

export function meterOf(values: ServiceValues, redis: Redis): MeterSource {
  const bucketSeconds = values['bucket-seconds'] === undefined ? 60 : Number(values['bucket-seconds'])
  if (!Number.isInteger(bucketSeconds) || bucketSeconds < 1) throw new CUTOVER_ERR_CLI_USAGE(`--bucket-seconds must be a positive integer, got "${values['bucket-seconds']}"`)
  return { redis, prefix: values['meter-prefix'] ?? 'cutover', bucketSeconds }
}

/**
 * The refresh queue's control plane for the runner. The drain side builds it
 * (src/queue/control.ts, `createQueueControl({ redis, prefix, name })`); until
 * that is part of this build there is none, and a playbook with queue actions
 * or gates is refused with CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE.
 */
export function queueControlFor(_redis: Redis, _values: ServiceValues): PlaybookQueueControl | undefined {
  return undefined
}

const TRAFFIC = new Set(['errorRate', 'p99', 'dbCallsPerRequest'])

/** Whether the playbook reads the meter or acts on the queue (both in Redis). */
export function needsRedis(playbook: Playbook): boolean {
  return playbook.usesQueue || playbook.stages.some((s) => s.gates.some((g) => TRAFFIC.has(g.kind)))
}

export async function openRedis(values: ServiceValues, env: NodeJS.ProcessEnv): Promise<Redis> {
  return openDemoRedis(values['redis-url'] ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379')
}

/** `2024-06-03T10:00:00Z`, and the playbook clock beside it when it runs faster. */
export function clockStamp(wall: number, scaled: number, scale: number): string {
  const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')
  return scale === 1 ? iso(wall) : `${iso(wall)} [playbook ${iso(scaled)}]`
}
