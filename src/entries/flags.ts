// `cutover/flags`: where route flags live without Unleash (a file, or a table in
// code) and the contract every flag source keeps. Unleash: `cutover/flags/unleash`.
export * from '../flags/flag-source.js'
export { toRouteState, type RouteFlagInput } from '../flags/route-state.js'
export { inRollout, stickyBucket } from '../flags/sticky.js'
export { sampled } from '../modes/sampling.js'
export { KILL_ENV, killedByEnv } from '../flags/kill-switch.js'
export { FileFlagSource, type FileFlagSourceOptions } from '../flags/file-source.js'
export { StaticFlagSource } from '../flags/static-source.js'
export type { StateTableOptions } from '../flags/state-table.js'
export type { FlagAdminWriter } from '../flags/admin-writer.js'
export { FileAdminWriter } from '../flags/file-admin.js'
