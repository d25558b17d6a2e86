import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import type { FlagAdminWriter } from '../flags/admin-writer.js'
import { FileAdminWriter } from '../flags/file-admin.js'
import { UnleashAdminWriter } from '../flags/unleash-admin.js'
import { filePath, firstGiven, httpUrl, routeId } from './option-values.js'

/** Options every `cutover flags` command takes to find where flags live. */
export const targetOptions = {
  file: { type: 'string' },
  'unleash-url': { type: 'string' },
  token: { type: 'string' },
  project: { type: 'string' },
  environment: { type: 'string' },
  prefix: { type: 'string' },
} as const

export const targetHelp = `Where the flags live (one of):
  --file PATH            a flags file (JSON or YAML) read by FileFlagSource, in an existing directory   [env CUTOVER_FLAGS_FILE]
  --unleash-url URL      Unleash API URL (http:// or https://), e.g. http://unleash:4242/api   [env CUTOVER_UNLEASH_URL]
    --token TOKEN        Unleash admin API token                                [env CUTOVER_UNLEASH_ADMIN_TOKEN]
    --project NAME       Unleash project (default: default)
    --environment NAME   Unleash environment (default: development)
    --prefix PREFIX      flag name prefix (default: cutover.)`

export interface TargetValues {
  file?: string | undefined
  'unleash-url'?: string | undefined
  token?: string | undefined
  project?: string | undefined
  environment?: string | undefined
  prefix?: string | undefined
}

export function writerFor(values: TargetValues, env: NodeJS.ProcessEnv): FlagAdminWriter {
  const file = firstGiven(['--file', values.file], ['CUTOVER_FLAGS_FILE', env.CUTOVER_FLAGS_FILE])
  const url = firstGiven(['--unleash-url', values['unleash-url']], ['CUTOVER_UNLEASH_URL', env.CUTOVER_UNLEASH_URL])
  if (file && url) throw new CUTOVER_ERR_CLI_USAGE('give either --file or --unleash-url, not both')
  if (file) return new FileAdminWriter({ path: filePath(file.label, file.text) })
  if (!url) throw new CUTOVER_ERR_CLI_USAGE('missing --file PATH or --unleash-url URL (or CUTOVER_FLAGS_FILE / CUTOVER_UNLEASH_URL)')
  const token = values.token ?? env.CUTOVER_UNLEASH_ADMIN_TOKEN
  if (!token) throw new CUTOVER_ERR_CLI_USAGE('missing --token (or CUTOVER_UNLEASH_ADMIN_TOKEN) for the Unleash Admin API')
  return new UnleashAdminWriter({
    url: httpUrl(url.label, url.text),
    token,
    ...(values.project ? { project: values.project } : {}),
    ...(values.environment ? { environment: values.environment } : {}),
    ...(values.prefix !== undefined ? { flagPrefix: values.prefix } : {}),
  })
}

/** The route ids given as arguments, each by the rule of config.cutover.id. */
export const routeIdArguments = (positionals: readonly string[]): string[] => positionals.map((id) => routeId('route id', id))

export function describeState(routeId: string, s: { mode: string; percent: number; shadowRate: number; groupId: string } | undefined): string {
  if (!s) return `${routeId}: no flag (off)`
  const extra = s.mode === 'canary' ? ` ${s.percent}%` : s.mode === 'shadow' ? ` rate ${s.shadowRate}` : ''
  return `${routeId}: ${s.mode}${extra} (group ${s.groupId})`
}
