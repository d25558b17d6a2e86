import createError from '@fastify/error'

// Every error cutover throws has a code `CUTOVER_ERR_<AREA>_<WHAT>`, made here
// with @fastify/error, and a hint: when it is thrown and how to fix it. The
// error reference (docs/reference/errors.md) is generated from these
// (`npm run docs`; test/docs.test.ts keeps it current). Messages take
// util.format arguments and name the thing and what was expected.

/** When an error is thrown and what to do about it; the error reference is made from these. */
export interface ErrorHint {
  /** What happened, in a sentence or two. */
  readonly when: string
  /** How to fix it (Markdown; links are relative to docs/reference/). */
  readonly fix: string
}

/** Attaches the hint to an error constructor, as `Ctor.hint`. */
function withHint<C extends object>(ctor: C, hint: ErrorHint): C & { readonly hint: ErrorHint } {
  return Object.assign(ctor, { hint: Object.freeze(hint) })
}

// ---- options and route config (plugin registration)
export const CUTOVER_ERR_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_OPTIONS_INVALID',
    'expected cutover option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A plugin option of `app.register(cutover, options)` has the wrong type or an impossible value (a duration past Node\'s longest timer, a lifetime past 2^31 s, a prefix with a brace).',
    fix: 'Read the expected type, unit and range in the message and in [plugin options](plugin-options.md); give durations in ms and lifetimes in seconds, as plain numbers.',
  },
)
export const CUTOVER_ERR_OPTIONS_UNKNOWN = withHint(
  createError(
    'CUTOVER_ERR_OPTIONS_UNKNOWN',
    'unknown cutover option "%s"; known options are: %s',
    500,
    TypeError,
  ),
  {
    when: 'A plugin option cutover does not know, usually a typo or an option of another version.',
    fix: 'Use one of the names the message lists ([plugin options](plugin-options.md)); nested objects (`breaker`, `lease`, `memory`) reject unknown keys too.',
  },
)
export const CUTOVER_ERR_ROUTE_CONFIG_INVALID = withHint(
  createError(
    'CUTOVER_ERR_ROUTE_CONFIG_INVALID',
    'expected route %s option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A route\'s `config.cutover` has a wrong type or an impossible value (for example `ttl: \'30s\'`, or a `maxBytes` above what the store can read back within `timeout`).',
    fix: 'Fix the option the message names on the route it names ([route options](route-options.md)); for a `maxBytes` over the store\'s bound, lower it or raise the plugin\'s `timeout` (0.1 MiB per ms).',
  },
)
export const CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN = withHint(
  createError(
    'CUTOVER_ERR_ROUTE_CONFIG_UNKNOWN',
    'route %s: unknown cutover option "%s"; known options are: %s',
    500,
    TypeError,
  ),
  {
    when: 'A route\'s `config.cutover` has a key cutover does not know.',
    fix: 'Use one of the keys the message lists ([route options](route-options.md)); `config.cutover: false` opts a route out.',
  },
)
export const CUTOVER_ERR_ROUTE_DUPLICATE_ID = withHint(
  createError(
    'CUTOVER_ERR_ROUTE_DUPLICATE_ID',
    'route id "%s" is used by both %s and %s; each cached route needs its own id',
    500,
  ),
  {
    when: 'Two routes share one cache route id. (One handler at `/p` and `/p/`, as Fastify registers a `\'/\'` route of a prefixed plugin, is one route: both URLs are one page.)',
    fix: 'Give each cached route its own `id`; ids name keys, tags, flags and reports, so they must be unique per app.',
  },
)

// ---- page cache at run time
export const CUTOVER_ERR_CACHE_TIMEOUT = withHint(
  createError(
    'CUTOVER_ERR_CACHE_TIMEOUT',
    'cache %s did not answer within %sms',
    500,
  ),
  {
    when: 'A cache call took longer than the plugin\'s `timeout`; the route was served by its handler and the failure counts towards the breaker.',
    fix: 'Check the Redis latency (`redis-cli --latency`) and the page sizes; raise `timeout` only if Redis is healthy and pages are large (about 5 ms per MiB).',
  },
)
export const CUTOVER_ERR_CACHE_CORRUPT_ENTRY = withHint(
  createError(
    'CUTOVER_ERR_CACHE_CORRUPT_ENTRY',
    'cache entry %s is corrupt: %s',
    500,
  ),
  {
    when: 'A stored page could not be decoded, or decodes to one that can\'t be served (a status outside 200-599, a header Node would refuse or cutover never stores, times past any lifetime): it is deleted and treated as a miss. Also a tag counter in `<prefix>:v1:tags` that is not a whole number: pages under that tag bypass the cache and `invalidate()` of it moves no tag.',
    fix: 'Nothing to do for a page: it is gone and the next request stores a good one. Look for another writer of the cache\'s Redis keys (two releases with one prefix, a script). For a tag counter: `HSET <prefix>:v1:tags v:<tag> <n>` (and `h:<tag>`) with `n` above any version the tag had.',
  },
)
export const CUTOVER_ERR_INVALIDATE_INVALID = withHint(
  createError(
    'CUTOVER_ERR_INVALIDATE_INVALID',
    'expected invalidate() to get %s, got %s',
    500,
    TypeError,
  ),
  {
    when: '`invalidate()` got something other than `{ tags }`, `{ route }` or `{ keys }` (with an optional `hard`), or a tag starting with `@`.',
    fix: 'Pass one of the documented shapes ([`app.cutover.invalidate`](app-cutover.md#invalidateinput)); keys are `{ route, hash }` or `"<route>:<hash>"`.',
  },
)

// ---- packaging
export const CUTOVER_ERR_PEER_MISSING = withHint(
  createError(
    'CUTOVER_ERR_PEER_MISSING',
    '%s needs the package %s, an optional peer dependency of cutover: install it (npm install %s)',
    500,
  ),
  {
    when: 'A command or subpath needs an optional peer dependency (ioredis, mysql2, bullmq, unleash-client, prom-client) that is not installed.',
    fix: 'Install the package the message names (`npm install <package>`) next to cutover.',
  },
)

// ---- CLI
export const CUTOVER_ERR_CLI_USAGE = withHint(
  createError('CUTOVER_ERR_CLI_USAGE', '%s', 2),
  {
    when: 'A CLI command got an unknown or missing argument, or a malformed value (URL, path, number, word, route id). Exit code 2.',
    fix: 'Run the command with `--help`, or see the [CLI reference](cli.md); the message names the option (or environment variable) and what was expected.',
  },
)

// ---- page stores (drivers)
export const CUTOVER_ERR_STORE_ARGUMENT_INVALID = withHint(
  createError(
    'CUTOVER_ERR_STORE_ARGUMENT_INVALID',
    'expected page store %s to be %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A page store got a malformed key, tag, lease duration or token, or entry, or a prefix holding a brace.',
    fix: 'In a store of your own or a direct store call, pass what the [`PageStore`](../stores.md) contract describes; through the plugin this points at a bug: report it.',
  },
)
export const CUTOVER_ERR_STORE_ENTRY_TOO_LARGE = withHint(
  createError(
    'CUTOVER_ERR_STORE_ENTRY_TOO_LARGE',
    '%s refuses a page body of %s bytes: over its maxBodyBytes of %s (a larger page could not be read back within the cache timeout)',
    500,
    RangeError,
  ),
  {
    when: 'A Redis-backed store was given a page body over its `maxBodyBytes`: a page that large could not be read back within the cache timeout.',
    fix: 'Lower the route\'s `maxBytes`, or raise the plugin\'s `timeout` (0.1 MiB per ms), and `maxBodyBytes` of a store you build yourself.',
  },
)
export const CUTOVER_ERR_STORE_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_STORE_OPTIONS_INVALID',
    'expected %s option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A page store (`MemoryPageStore`, `RedisPageStore`, `TieredPageStore`) got an unknown option or a wrong value.',
    fix: 'Fix the option the message names ([stores](../stores.md)).',
  },
)

// ---- meter, refresh queue, amplification report and demo
export const CUTOVER_ERR_METER_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_METER_OPTIONS_INVALID',
    'expected meter option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A meter option (or the meter plugin\'s) has the wrong type or an impossible value.',
    fix: 'Fix the option the message names ([meter](../meter-and-queue.md)); `metrics: true` needs a prom-client `registry`.',
  },
)
export const CUTOVER_ERR_QUEUE_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_QUEUE_OPTIONS_INVALID',
    'expected refresh queue option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A refresh-queue driver option (prefix, name, concurrency) is wrong.',
    fix: 'Fix the option the message names ([refresh queues](../meter-and-queue.md#refresh-queues)).',
  },
)
export const CUTOVER_ERR_QUEUE_JOB_INVALID = withHint(
  createError(
    'CUTOVER_ERR_QUEUE_JOB_INVALID',
    'expected a refresh job {table: string, id: string | number, origin?: string}, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A refresh job is not `{ table, id, origin? }`, on enqueue or read back from the queue.',
    fix: 'Enqueue jobs of that shape; a job read back malformed was written by something else: the drainer dead-letters it.',
  },
)
export const CUTOVER_ERR_DURATION_INVALID = withHint(
  createError(
    'CUTOVER_ERR_DURATION_INVALID',
    'expected %s to be %s, got %s',
    500,
    RangeError,
  ),
  {
    when: 'A duration (`500ms`, `90s`, `15m`, `2h`, `1d`, `1w`) or a time (a duration ago, or ISO 8601) could not be read, or a window ends before it starts.',
    fix: 'Write durations with one of those units and times as ISO 8601 (`2026-01-31T12:00:00Z`); put `--since` before `--until`.',
  },
)
export const CUTOVER_ERR_GATE_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_GATE_OPTIONS_INVALID',
    'expected refresh-queue gate option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A producer-gate option (flags, modes, routes, recentSeconds, overridesTtlMs, observe) or a gate policy set through the control plane is wrong.',
    fix: 'Fix the option the message names ([the producer gate](../drain.md#the-producer-gate)).',
  },
)
export const CUTOVER_ERR_DRAIN_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_DRAIN_OPTIONS_INVALID',
    'expected drain option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A drain option or setting (rate, schedule, batch, visibility timeout, max failures, back-pressure bounds, state, quietMs) is wrong.',
    fix: 'Fix the option the message names ([the drainer](../drain.md#the-drainer)).',
  },
)
export const CUTOVER_ERR_DRAIN_RETIRE_REFUSED = withHint(
  createError(
    'CUTOVER_ERR_DRAIN_RETIRE_REFUSED',
    'refresh queue "%s" was not retired: %s',
    500,
  ),
  {
    when: '`retire` found jobs waiting or in flight, or a job accepted within the quiet window; the message says which.',
    fix: 'Drain first (`cutover drain`), or stop the producers (gate policy `drop`) and wait out the quiet window, then retire again.',
  },
)
export const CUTOVER_ERR_REPORT_WINDOW_INVALID = withHint(
  createError(
    'CUTOVER_ERR_REPORT_WINDOW_INVALID',
    'expected a report window %s, got %s',
    500,
    RangeError,
  ),
  {
    when: 'An amplification report window is empty, reversed or longer than the meter keeps.',
    fix: 'Pick a window inside the meter\'s retention (two days by default) with `--since` before `--until`.',
  },
)
export const CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE = withHint(
  createError<[string, string, string, string]>(
    'CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE',
    '%s is not reachable at %s (%s); start it or set %s to where it runs',
    500,
  ),
  {
    when: 'A CLI command (the demo, `invalidate`, `report`, `db migrate`) can\'t reach MySQL or Redis.',
    fix: 'Start the service (see [getting started](../getting-started.md#services)) or set the option or variable the message names to where it runs.',
  },
)

// ---- flags (route modes, flag sources, admin writer)
export const CUTOVER_ERR_FLAGS_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_OPTIONS_INVALID',
    'expected flag source option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A flag source or admin writer option has the wrong type or an impossible value.',
    fix: 'Fix the option the message names ([flags](../flags-and-modes.md#flag-sources)); `fetchTimeoutMs` must be at least 1000.',
  },
)
export const CUTOVER_ERR_FLAGS_STATE_INVALID = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_STATE_INVALID',
    'expected route %s flag %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A route flag (file entry, CLI arguments, admin writer call) has an unknown mode, an out-of-range percent or rate, or a route id no route can have (or, in Unleash, one its flag names can\'t hold).',
    fix: 'Use a mode of `off`, `shadow`, `canary`, `on`, a percent in 0..100 and a shadow rate in 0..1; name routes for Unleash (letters, digits, `- _ . ~`, at most 100 characters with the prefix).',
  },
)
export const CUTOVER_ERR_FLAGS_FILE_INVALID = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_FILE_INVALID',
    'flags file %s is invalid (the last good state stays in use): %s',
    500,
  ),
  {
    when: 'The flags file is not valid JSON or YAML, or breaks the layout. Logged; the last good state stays in use.',
    fix: 'Fix the file at the place the message names ([the flags file](../flags-and-modes.md#the-flags-file)); the source reloads it on change.',
  },
)
export const CUTOVER_ERR_FLAGS_FILE_EMPTY = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_FILE_EMPTY',
    'flags file %s holds no document (the last good state stays in use); to turn every route off write "routes: {}", or give the source emptyMeansAllOff: true',
    500,
  ),
  {
    when: 'The flags file holds no document (empty, blanks, only comments): refused like a malformed file, since a truncated file looks the same. Logged; the last good state stays in use.',
    fix: 'Write `routes: {}` to turn every route off, or give the source `emptyMeansAllOff: true`; write the file through a rename so readers never see it half-written.',
  },
)
export const CUTOVER_ERR_FLAGS_FILE_UNREADABLE = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_FILE_UNREADABLE',
    'flags file %s could not be read (the last good state stays in use): %s',
    500,
  ),
  {
    when: 'The flags file could not be read. Logged; the last good state, or all-off, stays in use.',
    fix: 'Check the path and the process\'s permissions; the source picks the file up again once it can read it.',
  },
)
export const CUTOVER_ERR_FLAGS_UNLEASH_FETCH = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_UNLEASH_FETCH',
    'Unleash features fetch failed (the last good state stays in use): %s',
    500,
  ),
  {
    when: 'Fetching flags from Unleash failed: network, 5xx, 401/403, malformed payload. Logged and counted; the last good state stays in use.',
    fix: 'Check the URL and the backend token (a client token for the environment); after a 401/403 the source retries every `authRetryMs`.',
  },
)
export const CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD',
    'Unleash flag %s is malformed (its last good state stays in use): %s',
    500,
  ),
  {
    when: 'One route flag in Unleash breaks the documented layout. Logged; that route keeps its last good state.',
    fix: 'Recreate the flag with `cutover flags create`, or fix its strategy to the [layout](../flags-and-modes.md#flags-in-unleash).',
  },
)
export const CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_UNLEASH_CONSTRAINT',
    'Unleash flag %s: constraints could not be evaluated (the route is off for the requests concerned): %s',
    500,
  ),
  {
    when: 'A route flag\'s constraints or segments can\'t be evaluated (an operator unleash-client does not know, a segment missing from the payload, a malformed constraint, an `unleashContext` that threw or returned something else). The route is off for the requests concerned; logged once, counted in `stats().faults`.',
    fix: 'Fix the constraint in Unleash, or make `unleashContext` return `{ sessionId?, properties? }` with string properties.',
  },
)
export const CUTOVER_ERR_FLAGS_START_TIMEOUT = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_START_TIMEOUT',
    'flag source %s did not load within %sms; serving the %s state',
    500,
  ),
  {
    when: 'The flag source did not load within its start-up wait; bootstrap, backup or all-off state is served meanwhile.',
    fix: 'Check that Unleash (or the file) is reachable; raise `start({ timeoutMs })` if it is slow to answer at start-up.',
  },
)
export const CUTOVER_ERR_FLAGS_ADMIN_AUTH = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_ADMIN_AUTH',
    'Unleash Admin API refused %s %s with %s: the admin token is missing, wrong or lacks permission',
    500,
  ),
  {
    when: 'The Unleash Admin API answered 401 or 403 to the admin writer.',
    fix: 'Use an admin token (not a client token) with permission on the project (`--token`, `CUTOVER_UNLEASH_ADMIN_TOKEN`).',
  },
)
export const CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_ADMIN_NOT_FOUND',
    'Unleash Admin API: %s %s answered 404 (%s)',
    500,
  ),
  {
    when: 'The Unleash Admin API answered 404: an unknown project, environment or flag.',
    fix: 'Check `--project` and `--environment`; create the flags first with `cutover flags create`.',
  },
)
export const CUTOVER_ERR_FLAGS_ADMIN_CONFLICT = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_ADMIN_CONFLICT',
    'Unleash Admin API: %s %s answered 409 (%s)',
    500,
  ),
  {
    when: 'The Unleash Admin API answered 409, for example a flag name taken in another project.',
    fix: 'Use the project that holds the flag, or another `--flag-prefix`.',
  },
)
export const CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_ADMIN_TIMEOUT',
    'Unleash Admin API: %s %s did not answer within %sms',
    500,
  ),
  {
    when: 'An Unleash Admin API call did not answer within the writer\'s timeout.',
    fix: 'Check that Unleash is up and reachable from here, then run the command again (writes are idempotent).',
  },
)
export const CUTOVER_ERR_FLAGS_ADMIN_FAILED = withHint(
  createError(
    'CUTOVER_ERR_FLAGS_ADMIN_FAILED',
    'Unleash Admin API: %s %s failed: %s',
    500,
  ),
  {
    when: 'An Unleash Admin API call failed otherwise (a network error, an unexpected status or body).',
    fix: 'Read the status and body in the message; check the URL points at the Unleash API (`.../api`).',
  },
)

// ---- shadow comparison, its storage and reports
export const CUTOVER_ERR_SHADOW_RULES_INVALID = withHint(
  createError(
    'CUTOVER_ERR_SHADOW_RULES_INVALID',
    'expected shadow rule %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A route\'s shadow comparison rules (`ignore`, `sets`, `tolerance`, `normalize`) are malformed.',
    fix: 'Fix the rule the message names; every rule needs a `path` and a `reason` ([comparison rules](../shadow.md#the-runner)).',
  },
)
export const CUTOVER_ERR_SHADOW_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_SHADOW_OPTIONS_INVALID',
    'expected shadow option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A shadow runner, writer or candidate source option has the wrong type or an impossible value.',
    fix: 'Fix the option the message names ([shadow runner options](../shadow.md#runner-options)).',
  },
)
export const CUTOVER_ERR_SHADOW_CLOSE_TIMEOUT = withHint(
  createError(
    'CUTOVER_ERR_SHADOW_CLOSE_TIMEOUT',
    'shadow writer close() gave up after %sms: %s queued samples dropped, %s still being written',
    500,
  ),
  {
    when: 'The shadow writer\'s `close()` could not flush within `closeTimeoutMs` (MySQL slow or unreachable); it is passed to `onError` and the samples left are dropped and counted.',
    fix: 'Nothing is lost but those samples. If it happens at every shutdown, check the shadow database\'s reachability, or raise `closeTimeoutMs` ([writer options](../shadow.md#writer-options)).',
  },
)
export const CUTOVER_ERR_SHADOW_DATABASE_URL = withHint(
  createError(
    'CUTOVER_ERR_SHADOW_DATABASE_URL',
    'expected the shadow database URL (%s) to be a mysql:// URL with a user and a database, got %s',
    500,
    TypeError,
  ),
  {
    when: 'The shadow engine was started without a usable database URL: missing, not `mysql://`, or without a user or a database name. The message names the option it read.',
    fix: 'Set the option the message names to `mysql://user:password@host:3306/database` ([shadow set-up](../shadow.md#set-up)).',
  },
)
export const CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE = withHint(
  createError(
    'CUTOVER_ERR_SHADOW_DATABASE_UNUSABLE',
    'the shadow database (%s) can not be used: %s',
    500,
  ),
  {
    when: 'The shadow engine could not connect to or read its database when it started (wrong credentials, no such database, tables missing).',
    fix: 'Check the URL\'s credentials and database, and run `cutover db migrate` against it ([shadow set-up](../shadow.md#set-up)).',
  },
)
export const CUTOVER_ERR_DB_MIGRATION_CHANGED = withHint(
  createError(
    'CUTOVER_ERR_DB_MIGRATION_CHANGED',
    'migration %s was changed after it was applied (checksum %s recorded, file has %s); migrations are append-only: restore the file and add a new one',
    500,
  ),
  {
    when: 'A migration file was edited after it was applied (its checksum differs); `db migrate` refuses to run.',
    fix: 'Restore the file as it was applied and put the change in a new migration: migrations are append-only.',
  },
)
export const CUTOVER_ERR_DB_MIGRATION_NAME = withHint(
  createError(
    'CUTOVER_ERR_DB_MIGRATION_NAME',
    'expected migration file names like 0001_name.sql in a strict sequence, got %s',
    500,
  ),
  {
    when: 'A file in `migrations/` is not named `NNNN_name.sql`, or the numbers skip or repeat.',
    fix: 'Rename the file to the next number in sequence.',
  },
)
export const CUTOVER_ERR_DB_MIGRATION_FAILED = withHint(
  createError(
    'CUTOVER_ERR_DB_MIGRATION_FAILED',
    'migration %s failed: %s',
    500,
  ),
  {
    when: 'A migration\'s SQL failed; the ledger is not updated for it.',
    fix: 'Read the MySQL error in the message, fix the cause (permissions, a conflicting table) and run `cutover db migrate` again.',
  },
)
export const CUTOVER_ERR_DB_LOCK_TIMEOUT = withHint(
  createError(
    'CUTOVER_ERR_DB_LOCK_TIMEOUT',
    'could not take the MySQL named lock "%s" within %ss (another instance is migrating)',
    500,
  ),
  {
    when: 'Another instance held the migration lock for longer than the wait.',
    fix: 'Let the other migration finish, or raise `--lock-timeout`.',
  },
)
// ---- playbooks (file, runner, journal)
export const CUTOVER_ERR_PLAYBOOK_PARSE = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_PARSE',
    'playbook %s is not valid YAML:\n%s',
    500,
  ),
  {
    when: 'A playbook file is not valid YAML (a syntax error, a duplicate key); every problem is listed as `file:line:column`.',
    fix: 'Fix the YAML at the places listed; `cutover playbook validate` checks a file without running it.',
  },
)
export const CUTOVER_ERR_PLAYBOOK_INVALID = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_INVALID',
    'playbook %s is invalid:\n%s',
    500,
  ),
  {
    when: 'A playbook breaks `playbooks/playbook.schema.json` or a rule beyond it (an unknown key, a bad duration, a gate that can read nothing in its stage, queue stages before route stages); every problem is listed as `file:line:column: path: what was expected`.',
    fix: 'Fix each listed problem ([the file format](../playbooks.md#the-file)) and run `cutover playbook validate` again.',
  },
)
export const CUTOVER_ERR_PLAYBOOK_LOCKED = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_LOCKED',
    'playbook "%s" already has a runner (MySQL lock "%s" is held by connection %s); one runner per playbook',
    500,
  ),
  {
    when: 'Another runner holds the playbook\'s MySQL lock: one runner per playbook.',
    fix: 'Stop the other runner, or wait for it to finish; `cutover playbook status` shows where it is.',
  },
)
export const CUTOVER_ERR_PLAYBOOK_JOURNAL = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_JOURNAL',
    'playbook "%s" journal: %s',
    500,
  ),
  {
    when: 'The playbook journal can\'t be used: its tables are missing, its lock was busy too long, or a route sits in a stage the file no longer has.',
    fix: 'Run `cutover db migrate`; for a removed stage, put the stage back, or roll the route back and resume it elsewhere.',
  },
)
export const CUTOVER_ERR_PLAYBOOK_COMMAND = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_COMMAND',
    'playbook "%s": cannot %s: %s',
    500,
  ),
  {
    when: '`cutover playbook approve`, `pause`, `resume` or `rollback` does not apply: a route the playbook does not move, a stage without a manual gate, a route neither paused nor rolled back.',
    fix: 'Check the route and stage with `cutover playbook status`.',
  },
)
export const CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_QUEUE_UNAVAILABLE',
    'playbook "%s" has queue %s but the runner was given no queue control; %s',
    500,
  ),
  {
    when: 'A playbook has queue actions or gates and the runner has no queue control.',
    fix: 'On the CLI, point `--redis-url`, `--queue-prefix`, `--queue-name` and `--queue-driver` at the app\'s refresh queue; in code, give the runner a `createQueueControl`; or remove the queue stages.',
  },
)
export const CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID = withHint(
  createError(
    'CUTOVER_ERR_PLAYBOOK_OPTIONS_INVALID',
    'expected playbook runner option %s, got %s',
    500,
    TypeError,
  ),
  {
    when: 'A playbook runner option is wrong or missing: a time scale that is not a positive number, no meter for traffic gates, a flag target that can\'t list routes for route patterns.',
    fix: 'Fix the option the message names ([playbook commands](../playbooks.md#commands)).',
  },
)
