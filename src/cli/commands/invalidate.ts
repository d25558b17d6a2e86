import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { closeAll } from '../../demo/close-all.js'
import { openDemoRedis } from '../../demo/services.js'
import { invalidate, planInvalidation, type InvalidateInput } from '../../pagecache/invalidate.js'
import { pageCacheKeys } from '../../pagecache/keys.js'
import { RedisPageStore } from '../../pagecache/redis-store.js'
import { parseOptions, redisUrlOption, type CliCommand, usage } from '../command.js'
import { routeId } from '../option-values.js'

const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)

/** Each value as the invalidation API judges it (its rule, not a copy), named by the option it came from. */
function checkedInput(tags: string[], route: string | undefined, keys: string[], hard: boolean): InvalidateInput {
  for (const [option, field, values] of [['--tag', 'tags', tags], ['--key', 'keys', keys]] as const) {
    for (const value of values) usage(() => planInvalidation({ [field]: [value] }), `${option} ${JSON.stringify(value)}`)
  }
  return {
    ...(tags.length > 0 ? { tags } : {}),
    ...(route !== undefined ? { route: routeId('--route', route) } : {}),
    ...(keys.length > 0 ? { keys } : {}),
    hard,
  }
}

export const invalidateCommand: CliCommand = {
  name: ['invalidate'],
  summary: 'purge cached pages by tag, route or key (in every process)',
  help: `usage: cutover invalidate [--tag T]... [--route ID] [--key ROUTE:HASH]... [--hard] [--redis-url URL] [--prefix P] [--json]

Purges pages from the shared Redis page store. Tags and routes move their
version counters (soft by default: pages may be served stale within their
route's stale window while one request refreshes them; --hard: gone now).
Keys are deleted at once. Memory layers in every app process are dropped.

  --tag, -t T      a tag to purge (repeat, or comma-separate)
  --route, -r ID   a route id to purge (the rule of config.cutover.id)
  --key, -k K      a page key "<route>:<hash>" to delete (repeat)
  --hard           hard purge
  --redis-url URL  redis:// or rediss:// URL; default $REDIS_URL or redis://127.0.0.1:6379
  --prefix P       key prefix the app uses (default: cutover)
  --json           print the result as JSON`,
  async run(argv, io) {
    const { values } = parseOptions(argv, {
      tag: { type: 'string', short: 't', multiple: true },
      route: { type: 'string', short: 'r' },
      key: { type: 'string', short: 'k', multiple: true },
      hard: { type: 'boolean', default: false },
      'redis-url': { type: 'string' },
      prefix: { type: 'string', default: 'cutover' },
      json: { type: 'boolean', default: false },
    })
    const tags = list(values.tag)
    const keys = list(values.key)
    if (tags.length === 0 && keys.length === 0 && values.route === undefined) {
      throw new CUTOVER_ERR_CLI_USAGE('give at least one of --tag, --route, --key (see --help)')
    }
    const input = checkedInput(tags, values.route, keys, values.hard)
    const url = redisUrlOption(values['redis-url'], io.env)
    // The store's own rule for its prefix, checked before Redis is opened.
    usage(() => pageCacheKeys(values.prefix), '--prefix')
    const redis = await openDemoRedis(url, '--redis-url (or REDIS_URL)')
    // The Redis store announces purges on the invalidation channel, so app
    // processes drop their memory copies.
    const store = new RedisPageStore({ redis, prefix: values.prefix })
    try {
      const result = await invalidate(store, input)
      if (values.json) io.out(JSON.stringify(result))
      else {
        for (const [tag, state] of Object.entries(result.tags)) io.out(`${values.hard ? 'hard' : 'soft'}-purged ${tag} (now version ${state.version})`)
        if (keys.length > 0) io.out(`deleted ${result.deleted} of ${keys.length} key(s)`)
      }
      return 0
    } finally {
      await closeAll([() => store.close(), () => redis.disconnect()])
    }
  },
}
