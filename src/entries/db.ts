// `cutover/db`: the MySQL migrations cutover ships (peer dependency mysql2).
export { migrate, type MigrateOptions, type MigrateResult } from '../db/migrate.js'
