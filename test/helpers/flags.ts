/** An in-memory FlagSource whose state a test sets directly. */
export { StaticFlagSource } from '../../src/flags/static-source.js'
