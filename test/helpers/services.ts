/** Where the test suite finds its services; override with REDIS_URL / MYSQL_URL. */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
export const MYSQL_URL = process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

export const START_REDIS =
  'redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no'
export const START_MYSQL = 'start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd'

/** A short random suffix for per-test key prefixes and schema names. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${Math.random().toString(36).slice(2, 8)}`
}
