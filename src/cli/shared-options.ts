// Options several commands take, defined once.
import { DEFAULT_DEMO_DATABASE, DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL } from '../demo/defaults.js'
import { opt } from './define.js'
import { databaseName, keyPrefix, mysqlDatabaseUrl, mysqlServerUrl, redisUrl } from './option-values.js'

/** Where the shared Redis is, and the key prefix the app uses. */
export const redisOptions = {
  'redis-url': opt.withDefault(redisUrl, DEFAULT_REDIS_URL, 'redis:// or rediss:// URL', { env: ['REDIS_URL'], placeholder: 'URL' }),
  prefix: opt.withDefault(keyPrefix, 'cutover', 'key prefix the app uses', { placeholder: 'P' }),
}

/** A MySQL database holding cutover's tables (shadow samples, the journal). */
export const mysqlDatabaseOption = {
  db: opt.required(mysqlDatabaseUrl, 'mysql:// URL naming the database', { env: ['CUTOVER_MYSQL_URL', 'MYSQL_URL'], placeholder: 'URL' }),
}

/** The demo's services and where its data goes. */
export function demoServiceOptions(defaultPrefix: string) {
  return {
    'mysql-url': opt.withDefault(mysqlServerUrl, DEFAULT_MYSQL_URL, 'mysql:// URL of the server (the database is --database)', { env: ['MYSQL_URL'], placeholder: 'URL' }),
    'redis-url': opt.withDefault(redisUrl, DEFAULT_REDIS_URL, 'redis:// URL', { env: ['REDIS_URL'], placeholder: 'URL' }),
    database: opt.withDefault(databaseName, DEFAULT_DEMO_DATABASE, 'MySQL database, created if missing', { placeholder: 'NAME' }),
    prefix: opt.withDefault(keyPrefix, defaultPrefix, 'Redis key prefix of the demo', { placeholder: 'P' }),
  }
}
