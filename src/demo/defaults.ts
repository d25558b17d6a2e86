// The demo's service addresses and names, apart from the code that opens the
// services (services.ts), so the CLI can show and check them without loading
// a database client.
export const DEFAULT_MYSQL_URL = 'mysql://root@127.0.0.1:3306'
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379'
export const DEFAULT_DEMO_DATABASE = 'cutover_demo'
/** What a demo database name may hold: it goes into `CREATE DATABASE` and the pool's URL as it is. */
export const DEMO_DATABASE_NAME = /^[A-Za-z0-9_]+$/
