import { Redis } from 'ioredis'
import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { invalidate } from '../../pagecache/invalidate.js'
import { RedisPageStore } from '../../pagecache/redis-store.js'
import { parseOptions, type CliCommand } from '../command.js'

const list = (values: string[] | undefined): string[] => (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)

export const invalidateCommand: CliCommand = {
  name: ['invalidate'],
  summary: 'purge cached pages by tag, route or key (in every process)',
  help: `usage: cutover invalidate [--tag T]... [--route ID] [--key ROUTE:HASH]... [--hard] [--redis-url URL] [--prefix P] [--json]

Purges pages from the shared Redis page store. Tags and routes move their
version counters (soft by default: pages may be served stale within their
route's stale window while one request refreshes them; --hard: gone now).
Keys are deleted at once. Memory layers in every app process are dropped.

  --tag, -t T      a tag to purge (repeat, or comma-separate)
  --route, -r ID   a route id to purge
  --key, -k K      a page key "<route>:<hash>" to delete (repeat)
  --hard           hard purge
  --redis-url URL  default $REDIS_URL or redis://127.0.0.1:6379
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
    const url = values['redis-url'] ?? io.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null })
    redis.on('error', () => {})
    try {
      await redis.connect().catch((err: Error) => {
        throw new Error(`cannot reach Redis at ${url} (${err.message}); set --redis-url or REDIS_URL`)
      })
      // The Redis store announces purges on the invalidation channel, so app
      // processes drop their memory copies.
      const store = new RedisPageStore({ redis, prefix: values.prefix })
      const result = await invalidate(store, {
        ...(tags.length > 0 ? { tags } : {}),
        ...(values.route !== undefined ? { route: values.route } : {}),
        ...(keys.length > 0 ? { keys } : {}),
        hard: values.hard,
      })
      if (values.json) io.out(JSON.stringify(result))
      else {
        for (const [tag, state] of Object.entries(result.tags)) io.out(`${values.hard ? 'hard' : 'soft'}-purged ${tag} (now version ${state.version})`)
        if (keys.length > 0) io.out(`deleted ${result.deleted} of ${keys.length} key(s)`)
      }
      await store.close()
      return 0
    } finally {
      redis.disconnect()
    }
  },
}
