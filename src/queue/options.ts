import type { Redis } from 'ioredis'
import { asRedis, type RedisInput } from '../redis-script.js'
import { CUTOVER_ERR_QUEUE_OPTIONS_INVALID } from '../errors.js'
import { describeValue } from '../describe-value.js'

export interface QueueDriverOptions {
  /** Redis client (ioredis 5 or 6) the driver duplicates for its own connections (it never closes this one). */
  redis: RedisInput
  /**
   * Key prefix: the queue lives under `<prefix>:v1:queue:<name>`.
   * @default 'cutover'
   */
  prefix?: string
  /**
   * Queue name.
   * @default 'refresh'
   */
  name?: string
}

export interface CheckedQueueOptions {
  redis: Redis
  prefix: string
  name: string
}

const NAME = /^[A-Za-z0-9_.-]+$/

export function checkQueueOptions(options: QueueDriverOptions): CheckedQueueOptions {
  if (options === null || typeof options !== 'object' || typeof options.redis?.duplicate !== 'function') {
    throw new CUTOVER_ERR_QUEUE_OPTIONS_INVALID('redis to be an ioredis client', typeof options?.redis)
  }
  const prefix = options.prefix ?? 'cutover'
  const name = options.name ?? 'refresh'
  if (typeof prefix !== 'string' || prefix === '') throw new CUTOVER_ERR_QUEUE_OPTIONS_INVALID('prefix to be a non-empty string', describeValue(prefix))
  if (typeof name !== 'string' || !NAME.test(name)) throw new CUTOVER_ERR_QUEUE_OPTIONS_INVALID('name to be letters, digits, "_", "." or "-"', describeValue(name))
  return Object.freeze({ redis: asRedis(options.redis), prefix, name })
}

export function checkConcurrency(value: unknown): number {
  if (value === undefined) return 1
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new CUTOVER_ERR_QUEUE_OPTIONS_INVALID('concurrency to be a positive integer', describeValue(value))
  }
  return value
}
