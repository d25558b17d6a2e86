import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import { DEFAULT_DEMO_DATABASE, DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL } from '../demo/services.js'
import type { QueueDriverName } from '../demo/stack.js'

/** The last line of every demo command's help: where the services are. */
export const DEMO_SERVICES_HELP = `Services: MYSQL_URL (default ${DEFAULT_MYSQL_URL}) and REDIS_URL (default ${DEFAULT_REDIS_URL}).`

/** The options every demo command takes to place its data: the MySQL database and the Redis key prefix. */
export function demoDataOptions(defaultPrefix: string) {
  return {
    database: { type: 'string', default: DEFAULT_DEMO_DATABASE },
    prefix: { type: 'string', default: defaultPrefix },
  } as const
}

/** The demo's MySQL and Redis URLs, from the environment or the local defaults. */
export function demoServiceUrls(env: NodeJS.ProcessEnv): { mysqlUrl: string; redisUrl: string } {
  return { mysqlUrl: env.MYSQL_URL ?? DEFAULT_MYSQL_URL, redisUrl: env.REDIS_URL ?? DEFAULT_REDIS_URL }
}

export function positiveInt(name: string, text: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new CUTOVER_ERR_CLI_USAGE(`--${name} must be a positive integer, got "${text}"`)
  return n
}

export function queueDriver(text: string): QueueDriverName {
  if (text !== 'list' && text !== 'bullmq') throw new CUTOVER_ERR_CLI_USAGE(`--queue must be list or bullmq, got "${text}"`)
  return text
}
