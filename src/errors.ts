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

// ---- CLI
export const CUTOVER_ERR_CLI_USAGE = createError('CUTOVER_ERR_CLI_USAGE', '%s', 2)

// ---- page stores (drivers)
export const CUTOVER_ERR_STORE_ARGUMENT_INVALID = createError(
  'CUTOVER_ERR_STORE_ARGUMENT_INVALID',
  'expected page store %s to be %s, got %s',
  500,
  TypeError,
)
export const CUTOVER_ERR_STORE_OPTIONS_INVALID = createError(
  'CUTOVER_ERR_STORE_OPTIONS_INVALID',
  'expected %s option %s, got %s',
  500,
  TypeError,
)
