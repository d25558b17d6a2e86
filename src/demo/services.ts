import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE } from '../errors.js'

import { DEMO_DATABASE_NAME } from './defaults.js'
export { DEFAULT_DEMO_DATABASE, DEFAULT_MYSQL_URL, DEFAULT_REDIS_URL, DEMO_DATABASE_NAME } from './defaults.js'

/** The URL with any password replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url
  }
}

/** The MySQL URL pointed at `database`. */
export function databaseUrl(mysqlUrl: string, database: string): string {
  const u = new URL(mysqlUrl)
  u.pathname = `/${database}`
  return u.toString()
}

/**
 * Creates `database` if absent and opens a pool on it. Fails with
 * CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE naming the URL when MySQL can't be reached.
 */
export async function openDemoDatabase(mysqlUrl: string, database: string, connectionLimit = 10): Promise<mysql.Pool> {
  if (!DEMO_DATABASE_NAME.test(database)) {
    throw new CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE('MySQL', redactUrl(mysqlUrl), `database name "${database}" must be letters, digits and "_"`, '--database')
  }
  let admin: mysql.Connection | undefined
  try {
    admin = await mysql.createConnection({ uri: mysqlUrl, connectTimeout: 3000 })
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\``)
  } catch (err) {
    throw new CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE('MySQL', redactUrl(mysqlUrl), (err as Error).message || String((err as { code?: string }).code), 'MYSQL_URL')
  } finally {
    await admin?.end().catch(() => undefined)
  }
  return mysql.createPool({ uri: databaseUrl(mysqlUrl, database), connectionLimit })
}

/**
 * Opens a pool on a MySQL database and checks that it answers, failing with
 * CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE naming the URL and `setting` (where the URL came from).
 */
export async function openMysqlPool(url: string, setting: string, connectionLimit = 2): Promise<mysql.Pool> {
  const pool = mysql.createPool({ uri: url, connectionLimit, connectTimeout: 5000 })
  try {
    await pool.query('SELECT 1')
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw new CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE('MySQL', redactUrl(url), (err as Error).message || String((err as { code?: string }).code), setting)
  }
  return pool
}

/**
 * Connects to Redis, failing with CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE naming
 * the URL and `setting`, where the URL came from.
 */
export async function openDemoRedis(redisUrl: string, setting = 'REDIS_URL'): Promise<Redis> {
  const redis = new Redis(redisUrl, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 1, retryStrategy: () => null })
  // Failures surface as rejected commands (and the coded error below); no unhandled 'error' events.
  redis.on('error', () => undefined)
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    redis.disconnect()
    throw new CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE('Redis', redactUrl(redisUrl), (err as Error).message, setting)
  }
  // Connected: from now on reconnect as usual.
  redis.options.retryStrategy = (times) => Math.min(times * 100, 2000)
  return redis
}

/** Where the demo's services are and which database it uses. */
export interface DemoServiceUrls {
  mysqlUrl: string
  redisUrl: string
  database: string
}

/**
 * Opens the demo's Redis and its MySQL database (a pool of 20), runs `work`
 * with both, and closes both however it ends.
 */
export async function withDemoServices<T>(urls: DemoServiceUrls, work: (services: { pool: mysql.Pool; redis: Redis }) => Promise<T>): Promise<T> {
  const redis = await openDemoRedis(urls.redisUrl)
  let pool: mysql.Pool | undefined
  try {
    pool = await openDemoDatabase(urls.mysqlUrl, urls.database, 20)
    return await work({ pool, redis })
  } finally {
    // Redis is let go even when the pool fails to end: either left open keeps the process alive.
    try {
      await pool?.end()
    } finally {
      redis.disconnect()
    }
  }
}

/** Deletes every key matching `pattern` (the demo's own keys only). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0'
  let deleted = 0
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = next
    if (keys.length > 0) deleted += await redis.del(...keys)
  } while (cursor !== '0')
  return deleted
}
