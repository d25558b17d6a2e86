// What the `cutover playbook` commands share: the playbook argument, where
// the journal is, the services apply reads. Light: the work that opens
// MySQL and Redis is in work/playbook.ts, loaded when a command runs.
import { DEFAULT_REDIS_URL } from '../demo/defaults.js'
import { opt, type OptionValues, type PositionalSpec } from './define.js'
import { existingFile, integer, keyPrefix, oneOf, queueName, redisUrl, text } from './option-values.js'
import { mysqlDatabaseOption } from './shared-options.js'

/** The playbook file every playbook command takes. */
export const playbookFile: PositionalSpec<string> = { name: 'playbook', help: 'the playbook file (YAML)', read: existingFile, min: 1, max: 1 }

/** Where the journal is, and who acts. */
export const journalOptions = {
  ...mysqlDatabaseOption,
  by: opt.value(text, 'who acts, for the journal', { placeholder: 'NAME', defaultText: '$USER@cli' }),
}

/** The meter and the refresh queue (Redis), for traffic gates and queue steps. */
export const serviceOptions = {
  'redis-url': opt.withDefault(redisUrl, DEFAULT_REDIS_URL, 'Redis of the meter and the queue (opened only when the playbook has traffic gates or queue steps)', { env: ['REDIS_URL'], placeholder: 'URL' }),
  'meter-prefix': opt.withDefault(keyPrefix, 'cutover', "the meter's key prefix", { placeholder: 'P' }),
  'bucket-seconds': opt.withDefault(integer({ min: 1, unit: 'seconds' }), 60, "the meter's bucket length, as the app's meter has it", { placeholder: 'N' }),
  'queue-prefix': opt.withDefault(keyPrefix, 'cutover', "the refresh queue's key prefix", { placeholder: 'P' }),
  'queue-name': opt.withDefault(queueName, 'refresh', "the refresh queue's name", { placeholder: 'N' }),
  'queue-driver': opt.withDefault(oneOf(['list', 'bullmq'] as const), 'list', "the refresh queue's driver: list or bullmq", { placeholder: 'D' }),
}

export type JournalValues = OptionValues<typeof journalOptions>
export type ServiceValues = OptionValues<typeof serviceOptions>

export function actor(values: Pick<JournalValues, 'by'>, env: NodeJS.ProcessEnv): string {
  return values.by ?? `${env.USER ?? env.USERNAME ?? 'someone'}@cli`
}

/** `2024-06-03T10:00:00Z`, and the playbook clock beside it when it runs faster. */
export function clockStamp(wall: number, scaled: number, scale: number): string {
  const iso = (t: number): string => new Date(t).toISOString().replace(/\.\d+Z$/, 'Z')
  return scale === 1 ? iso(wall) : `${iso(wall)} [playbook ${iso(scaled)}]`
}
