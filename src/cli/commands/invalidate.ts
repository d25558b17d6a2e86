import { CUTOVER_ERR_CLI_USAGE } from '../../errors.js'
import { planInvalidation, type InvalidateInput } from '../../pagecache/invalidate.js'
import { usage } from '../command.js'
import { defineCommand, opt } from '../define.js'
import { redisOptions } from '../shared-options.js'
import { routeId, text } from '../option-values.js'

const list = (values: string[]): string[] => values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean)

/** Each value as the invalidation API judges it (its rule, not a copy), named by the option it came from. */
function checkedInput(tags: string[], route: string | undefined, keys: string[], hard: boolean): InvalidateInput {
  for (const [option, field, values] of [['--tag', 'tags', tags], ['--key', 'keys', keys]] as const) {
    for (const value of values) usage(() => planInvalidation({ [field]: [value] }), `${option} ${JSON.stringify(value)}`)
  }
  return {
    ...(tags.length > 0 ? { tags } : {}),
    ...(route !== undefined ? { route } : {}),
    ...(keys.length > 0 ? { keys } : {}),
    hard,
  }
}

export const invalidateCommand = defineCommand({
  name: ['invalidate'],
  summary: 'purge cached pages by tag, route or key (in every process)',
  description: `Purges pages from the shared Redis page store. Tags and routes move their
version counters (soft by default: pages may be served stale within their
route's stale window while one request refreshes them; --hard: gone now).
Keys are deleted at once. Memory layers in every app process are dropped.
Give at least one of --tag, --route, --key.`,
  options: {
    tag: opt.list(text, 'a tag to purge (or several, comma-separated)', { short: 't', placeholder: 'T' }),
    route: opt.value(routeId, 'a route id to purge (the rule of config.cutover.id)', { short: 'r', placeholder: 'ID' }),
    key: opt.list(text, 'a page key "<route>:<hash>" to delete', { short: 'k', placeholder: 'KEY' }),
    hard: opt.flag('hard purge: purged pages are gone at once, not served stale'),
    ...redisOptions,
    json: opt.flag('print the result as JSON'),
  },
  async run({ options: o }, io) {
    const tags = list(o.tag)
    const keys = list(o.key)
    if (tags.length === 0 && keys.length === 0 && o.route === undefined) {
      throw new CUTOVER_ERR_CLI_USAGE('give at least one of --tag, --route, --key (see --help)')
    }
    const input = checkedInput(tags, o.route, keys, o.hard)
    const { purge } = await import('../work/invalidate.js')
    const result = await purge({ redisUrl: o['redis-url'], prefix: o.prefix, input })
    if (o.json) io.out(JSON.stringify(result))
    else {
      for (const [tag, state] of Object.entries(result.tags)) io.out(`${o.hard ? 'hard' : 'soft'}-purged ${tag} (now version ${state.version})`)
      if (keys.length > 0) io.out(`deleted ${result.deleted} of ${keys.length} key(s)`)
    }
    return 0
  },
})
