// `cutover/flags/unleash`: route flags in Unleash (needs the peer dependency unleash-client).
export { UnleashFlagSource, type UnleashFlagSourceOptions } from '../flags/unleash-source.js'
export { UnleashAdminWriter, type UnleashAdminWriterOptions } from '../flags/unleash-admin.js'
