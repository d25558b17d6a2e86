import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import type { FlagAdminWriter } from '../flags/admin-writer.js'
import { FileAdminWriter } from '../flags/file-admin.js'
import { UnleashAdminWriter } from '../flags/unleash-admin.js'
import { opt, type OptionValues } from './define.js'
import { filePath, httpUrl, text } from './option-values.js'

/** Options every `cutover flags` command (and the playbook runner) takes to find where flags live: a file, or Unleash. */
export const targetOptions = {
  file: opt.value(filePath, 'a flags file (JSON or YAML) read by FileFlagSource, in an existing directory', { env: ['CUTOVER_FLAGS_FILE'], placeholder: 'PATH' }),
  'unleash-url': opt.value(httpUrl, 'Unleash API URL (http:// or https://), e.g. http://unleash:4242/api', { env: ['CUTOVER_UNLEASH_URL'], placeholder: 'URL' }),
  token: opt.value(text, 'Unleash admin API token (with --unleash-url)', { env: ['CUTOVER_UNLEASH_ADMIN_TOKEN'], placeholder: 'TOKEN' }),
  project: opt.withDefault(text, 'default', 'Unleash project', { placeholder: 'NAME' }),
  environment: opt.withDefault(text, 'development', 'Unleash environment', { placeholder: 'NAME' }),
  'flag-prefix': opt.withDefault((_label, value) => value, 'cutover.', 'Unleash flag name prefix (may be empty)', { placeholder: 'PREFIX', aliases: ['prefix'] }),
}

export type TargetValues = OptionValues<typeof targetOptions>

/** The admin writer for where the flags live; bad usage unless exactly one of --file and --unleash-url is given. */
export function writerFor(values: TargetValues): FlagAdminWriter {
  if (values.file !== undefined && values['unleash-url'] !== undefined) throw new CUTOVER_ERR_CLI_USAGE('give either --file or --unleash-url, not both')
  if (values.file !== undefined) return new FileAdminWriter({ path: values.file })
  if (values['unleash-url'] === undefined) throw new CUTOVER_ERR_CLI_USAGE('missing --file PATH or --unleash-url URL (or CUTOVER_FLAGS_FILE / CUTOVER_UNLEASH_URL)')
  if (values.token === undefined) throw new CUTOVER_ERR_CLI_USAGE('missing --token (or CUTOVER_UNLEASH_ADMIN_TOKEN) for the Unleash Admin API')
  return new UnleashAdminWriter({
    url: values['unleash-url'],
    token: values.token,
    project: values.project,
    environment: values.environment,
    flagPrefix: values['flag-prefix'],
  })
}

export function describeState(routeId: string, s: { mode: string; percent: number; shadowRate: number; groupId: string } | undefined): string {
  if (!s) return `${routeId}: no flag (off)`
  const extra = s.mode === 'canary' ? ` ${s.percent}%` : s.mode === 'shadow' ? ` rate ${s.shadowRate}` : ''
  return `${routeId}: ${s.mode}${extra} (group ${s.groupId})`
}
