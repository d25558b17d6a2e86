import { DEFAULT_DEMO_DATABASE, DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL } from '../demo/services.js'
import type { QueueDriverName } from '../demo/stack.js'
import { integer, mysqlServerUrl, oneOf, redisUrl } from './option-values.js'

/** The last line of every demo command's help: where the services are. */
export const DEMO_SERVICES_HELP = `Services: MYSQL_URL (default ${DEFAULT_MYSQL_URL}) and REDIS_URL (default ${DEFAULT_REDIS_URL}).`

/** The options every demo command takes to place its data: the MySQL database and the Redis key prefix. */
export function demoDataOptions(defaultPrefix: string) {
  return {
    database: { type: 'string', default: DEFAULT_DEMO_DATABASE },
    prefix: { type: 'string', default: defaultPrefix },
  } as const
}

/** The demo's MySQL and Redis URLs, from the environment or the local defaults; a malformed one is bad usage. */
export function demoServiceUrls(env: NodeJS.ProcessEnv): { mysqlUrl: string; redisUrl: string } {
  return {
    mysqlUrl: env.MYSQL_URL ? mysqlServerUrl('MYSQL_URL', env.MYSQL_URL) : DEFAULT_MYSQL_URL,
    redisUrl: env.REDIS_URL ? redisUrl('REDIS_URL', env.REDIS_URL) : DEFAULT_REDIS_URL,
  }
}

export const positiveInteger = integer({ min: 1 })

export const queueDriver = oneOf<QueueDriverName>(['list', 'bullmq'])
