import { Redis } from 'ioredis'
import mysql from 'mysql2/promise'
import { MYSQL_URL, REDIS_URL, START_MYSQL, START_REDIS } from './services.js'
import { checkPostgres } from './unleash-server.js'

// The integration project (test/**/*.int.test.ts) talks to the real services. A
// missing one is a failure that says how to start it, never a silent skip. The
// unit project does not run this: it needs no service.
async function checkRedis(): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 2000, maxRetriesPerRequest: 0, retryStrategy: () => null })
  redis.on('error', () => {}) // connect() rejects with it
  try {
    await redis.connect()
    await redis.ping()
  } catch (err) {
    throw new Error(`Redis is not reachable at ${REDIS_URL} (${(err as Error).message}). Start it with:\n  ${START_REDIS}\nor point REDIS_URL at one.`)
  } finally {
    redis.disconnect()
  }
}

async function checkMysql(): Promise<void> {
  let conn: mysql.Connection | undefined
  try {
    conn = await mysql.createConnection({ uri: MYSQL_URL, connectTimeout: 2000 })
    await conn.query('SELECT 1')
  } catch (err) {
    throw new Error(`MySQL/MariaDB is not reachable at ${MYSQL_URL} (${(err as Error).message}). Start it with:\n  ${START_MYSQL}\nor point MYSQL_URL at one.`)
  } finally {
    await conn?.end()
  }
}

export default async function setup(): Promise<void> {
  // Every missing service at once, each with how to start it.
  const missing = (await Promise.allSettled([checkRedis(), checkMysql(), checkPostgres()])).flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []))
  if (missing.length > 0) {
    throw new Error(`The integration project (*.int.test.ts) needs its services (docs/contributing.md); the unit project needs none (npm run test:unit).\n\n${missing.join('\n\n')}`)
  }
}
