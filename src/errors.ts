import createError from '@fastify/error'

// Every error cutover throws has a code `CUTOVER_ERR_<AREA>_<WHAT>`; the README
// lists each one (a test keeps the two in step). Messages take util.format
// arguments and name the thing and what was expected.

// ---- options and route config (plugin registration)
export const CUTOVER_ERR_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_OPTIONS_INVALID',
  'expected cutover option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_OPTIONS_UNKNOWN = createError(
  'CUTOVER_ERR_OPTIONS_UNKNOWN',
  'unknown cutover option "%s"; known options are: %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_ROUTE_CONFIG_INVALID = createError(
  'CUTOVER_ERR_ROUTE_CONFIG_INVALID',
  'expected route %s option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN = createError(
  'CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN',
  'route %s: unknown cutover option "%s"; known options are: %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_ROUTE_DUPLICATE_ID = createError(
  'CUTOVER_ERR_ROUTE_DUPLICATE_ID',
  'route id "%s" is used by both %s and %s; each cached route needs its own id',
  500,
)

// ---- page cache at run time
export const CUTOVER_ERR_CACHE_TIMEOUT = createError(
  'CUTOVER_ERR_CACHE_TIMEOUT',
  'cache %s did not answer within %sms',
  500,
)
export const CUTOVER_ERR_CACHE_CORRUPT_ENTRY = createError(
  'CUTOVER_ERR_CACHE_CORRUPT_ENTRY',
  'cache entry %s is corrupt: %s',
  500,
)
export const CUTOVER_ERR_INVALIDATE_INVALID = createError(
  'CUTOVER_ERR_INVALIDATE_INVALID',
  'expected invalidate() to get %s, got %s',
  500,
  TypeError,
)

// ---- packaging
export const CUTOVER_ERR_PEER_MISSING = createError(
  'CUTOVER_ERR_PEER_MISSING',
  '%s needs the package %s, an optional peer dependency of cutover: install it (npm install %s)',
  500,
)

// ---- CLI
export const CUTOVER_ERR_CLI_USAGE = createError('CUTOVER_ERR_CLI_USAGE', '%s', 2)

// ---- page stores (drivers)
export const CUTOVER_ERR_STORE_ARGUMENT_INVALID = createError(
  'CUTOVER_ERR_STORE_ARGUMENT_INVALID',
  'expected page store %s to be %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_STORE_ENTRY_TOO_LARGE = createError(
  'CUTOVER_ERR_STORE_ENTRY_TOO_LARGE',
  '%s refuses a page body of %s bytes: over its maxBodyBytes of %s (a larger page could not be read back within the cache timeout)',
  500,
  RangeError,
)
export const CUTOVER_ERR_STORE_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_STORE_OPTIONS_INVALID',
  'expected %s option %s, got %s',
  500,
  TypeError,
)

// ---- meter, refresh queue, amplification report and demo
export const CUTOVER_ERR_METER_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_METER_OPTIONS_INVALID',
  'expected meter option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_QUEUE_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_QUEUE_OPTIONS_INVALID',
  'expected refresh queue option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_QUEUE_JOB_INVALID = createError(
  'CUTOVER_ERR_QUEUE_JOB_INVALID',
  'expected a refresh job {table: string, id: string | number, origin?: string}, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_DURATION_INVALID = createError(
  'CUTOVER_ERR_DURATION_INVALID',
  'expected %s to be %s, got %s',
  500,
  RangeError,
)
export const CUTOVER_ERR_GATE_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_GATE_OPTIONS_INVALID',
  'expected refresh-queue gate option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_DRAIN_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_DRAIN_OPTIONS_INVALID',
  'expected drain option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_DRAIN_RETIRE_REFUSED = createError(
  'CUTOVER_ERR_DRAIN_RETIRE_REFUSED',
  'refresh queue "%s" was not retired: %s',
  500,
)
export const CUTOVER_ERR_REPORT_WINDOW_INVALID = createError(
  'CUTOVER_ERR_REPORT_WINDOW_INVALID',
  'expected a report window %s, got %s',
  500,
  RangeError,
)
export const CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE = createError<[string, string, string, string]>(
  'CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE',
  '%s is not reachable at %s (%s); start it or set %s to where it runs',
  500,
)

// ---- flags (route modes, flag sources, admin writer)
export const CUTOVER_ERR_FLAGS_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_FLAGS_OPTIONS_INVALID',
  'expected flag source option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_FLAGS_STATE_INVALID = createError(
  'CUTOVER_ERR_FLAGS_STATE_INVALID',
  'expected route %s flag %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_FLAGS_FILE_INVALID = createError(
  'CUTOVER_ERR_FLAGS_FILE_INVALID',
  'flags file %s is invalid (the last good state stays in use): %s',
  500,
)
export const CUTOVER_ERR_FLAGS_FILE_EMPTY = createError(
  'CUTOVER_ERR_FLAGS_FILE_EMPTY',
  'flags file %s holds no document (the last good state stays in use); to turn every route off write "routes: {}", or give the source emptyMeansAllOff: true',
  500,
)
export const CUTOVER_ERR_FLAGS_FILE_UNREADABLE = createError(
  'CUTOVER_ERR_FLAGS_FILE_UNREADABLE',
  'flags file %s could not be read (the last good state stays in use): %s',
  500,
)
export const CUTOVER_ERR_FLAGS_UNLEASH_FETCH = createError(
  'CUTOVER_ERR_FLAGS_UNLEASH_FETCH',
  'Unleash features fetch failed (the last good state stays in use): %s',
  500,
)
export const CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD = createError(
  'CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD',
  'Unleash flag %s is malformed (its last good state stays in use): %s',
  500,
)
export const CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT = createError(
  'CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT',
  'Unleash flag %s: constraints could not be evaluated (the route is off for the requests concerned): %s',
  500,
)
export const CUTOVER_ERR_FLAGS_START_TIMEOUT = createError(
  'CUTOVER_ERR_FLAGS_START_TIMEOUT',
  'flag source %s did not load within %sms; serving the %s state',
  500,
)
export const CUTOVER_ERR_FLAGS_ADMIN_AUTH = createError(
  'CUTOVER_ERR_FLAGS_ADMIN_AUTH',
  'Unleash Admin API refused %s %s with %s: the admin token is missing, wrong or lacks permission',
  500,
)
export const CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND = createError(
  'CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND',
  'Unleash Admin API: %s %s answered 404 (%s)',
  500,
)
export const CUTOVER_ERR_FLAGS_ADMIN_CONFLICT = createError(
  'CUTOVER_ERR_FLAGS_ADMIN_CONFLICT',
  'Unleash Admin API: %s %s answered 409 (%s)',
  500,
)
export const CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT = createError(
  'CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT',
  'Unleash Admin API: %s %s did not answer within %sms',
  500,
)
export const CUTOVER_ERR_FLAGS_ADMIN_FAILED = createError(
  'CUTOVER_ERR_FLAGS_ADMIN_FAILED',
  'Unleash Admin API: %s %s failed: %s',
  500,
)

// ---- shadow comparison, its storage and reports
export const CUTOVER_ERR_SHADOW_RULES_INVALID = createError(
  'CUTOVER_ERR_SHADOW_RULES_INVALID',
  'expected shadow rule %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_SHADOW_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_SHADOW_OPTIONS_INVALID',
  'expected shadow option %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_SHADOW_DATABASE_URL = createError(
  'CUTOVER_ERR_SHADOW_DATABASE_URL',
  'expected the shadow database URL (%s) to be a mysql:// URL with a user and a database, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE = createError(
  'CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE',
  'the shadow database (%s) can not be used: %s',
  500,
)
export const CUTOVER_ERR_DB_MIGRATION_CHANGED = createError(
  'CUTOVER_ERR_DB_MIGRATION_CHANGED',
  'migration %s was changed after it was applied (checksum %s recorded, file has %s); migrations are append-only: restore the file and add a new one',
  500,
)
export const CUTOVER_ERR_DB_MIGRATION_NAME = createError(
  'CUTOVER_ERR_DB_MIGRATION_NAME',
  'expected migration file names like 0001_name.sql in a strict sequence, got %s',
  500,
)
export const CUTOVER_ERR_DB_MIGRATION_FAILED = createError(
  'CUTOVER_ERR_DB_MIGRATION_FAILED',
  'migration %s failed: %s',
  500,
)
export const CUTOVER_ERR_DB_LOCK_TIMEOUT = createError(
  'CUTOVER_ERR_DB_LOCK_TIMEOUT',
  'could not take the MySQL named lock "%s" within %ss (another instance is migrating)',
  500,
)
// ---- playbooks (file, runner, journal)
export const CUTOVER_ERR_PLAYBOOK_PARSE = createError(
  'CUTOVER_ERR_PLAYBOOK_PARSE',
  'playbook %s is not valid YAML:\n%s',
  500,
)
export const CUTOVER_ERR_PLAYBOOK_INVALID = createError(
  'CUTOVER_ERR_PLAYBOOK_INVALID',
  'playbook %s is invalid:\n%s',
  500,
)
export const CUTOVER_ERR_PLAYBOOK_LOCKED = createError(
  'CUTOVER_ERR_PLAYBOOK_LOCKED',
  'playbook "%s" already has a runner (MySQL lock "%s" is held by connection %s); one runner per playbook',
  500,
)
export const CUTOVER_ERR_PLAYBOOK_JOURNAL = createError(
  'CUTOVER_ERR_PLAYBOOK_JOURNAL',
  'playbook "%s" journal: %s',
  500,
)
export const CUTOVER_ERR_PLAYBOOK_COMMAND = createError(
  'CUTOVER_ERR_PLAYBOOK_COMMAND',
  'playbook "%s": cannot %s: %s',
  500,
)
export const CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE = createError(
  'CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE',
  'playbook "%s" has queue %s but the runner was given no queue control; %s',
  500,
)
export const CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID',
  'expected playbook runner option %s, got %s',
  500,
  TypeError,
)
