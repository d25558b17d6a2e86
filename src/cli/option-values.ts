// Readers of CLI option values, one per kind (port, host, URL, path, number,
// enum, route id). Every command reads its options through these, so a
// malformed value is always a usage error (CUTOVER_ERR_CLI_USAGE, exit 2) whose
// message names the option (or variable) and what was expected, found before
// any service is opened.

import { statSync, type Stats } from 'node:fs'
import { isIP } from 'node:net'
import { dirname, resolve } from 'node:path'
import { DEMO_DATABASE_NAME } from '../demo/defaults.js'
import { DURATION_RULE, durationMs, parseTimeBound } from '../duration.js'
import { CUTOVER_ERR_CLI_USAGE } from '../errors.js'
import { isRouteId, ROUTE_ID_RULE } from '../route-id.js'

/**
 * Reads one option's text: `label` is how the user gave it (`--port`, `REDIS_URL`).
 * Returns the typed value or throws CUTOVER_ERR_CLI_USAGE.
 */
export type OptionReader<T> = (label: string, text: string) => T

export function invalidOption(label: string, expected: string, text: string, why?: string): never {
  throw new CUTOVER_ERR_CLI_USAGE(`expected ${label} to be ${expected}, got ${JSON.stringify(text)}${why ? ` (${why})` : ''}`)
}

/** The first value given, with the label of where it came from (an option, then variables); undefined when none is. */
export function firstGiven(...sources: Array<[label: string, text: string | undefined]>): { label: string; text: string } | undefined {
  for (const [label, text] of sources) if (text !== undefined && text !== '') return { label, text }
  return undefined
}

// Decimal notation only: Number() would also take "0x1f", "1e3", " 8 " and "Infinity".
const INTEGER = /^-?\d+$/
const DECIMAL = /^-?(?:\d+\.?\d*|\.\d+)$/

export interface IntegerRange {
  /** @default 0 */
  min?: number
  /** @default Number.MAX_SAFE_INTEGER */
  max?: number
  /** What the number counts, for the message ("seconds", "connections"). */
  unit?: string
}

function rangeText(min: number, max: number): string {
  return max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`
}

/** A whole number within `range`. */
export function integer(range: IntegerRange = {}): OptionReader<number> {
  const { min = 0, max = Number.MAX_SAFE_INTEGER, unit } = range
  const expected = `a whole number${unit ? ` of ${unit}` : ''} ${rangeText(min, max)}`
  return (label, text) => {
    const n = Number(text)
    if (!INTEGER.test(text) || n < min || n > max) invalidOption(label, expected, text)
    return n
  }
}

export interface DecimalRange {
  min: number
  max: number
  /** The bounds themselves are allowed. @default [true, true] */
  inclusive?: readonly [boolean, boolean]
}

/** A decimal number (rates, percentages) within `range`. */
export function decimal(range: DecimalRange): OptionReader<number> {
  const [minIn, maxIn] = range.inclusive ?? [true, true]
  const expected = `a number in ${minIn ? '[' : '('}${range.min}, ${range.max}${maxIn ? ']' : ')'}`
  return (label, text) => {
    const n = Number(text)
    const inside = (minIn ? n >= range.min : n > range.min) && (maxIn ? n <= range.max : n < range.max)
    if (!DECIMAL.test(text) || !inside) invalidOption(label, expected, text)
    return n
  }
}

/** A number in decimal notation, any sign or size (the value's own rule checks its range). */
export const decimalNumber: OptionReader<number> = (label, text) => {
  if (!DECIMAL.test(text)) invalidOption(label, 'a number', text)
  return Number(text)
}

/** A TCP port to listen on; 0 lets the system pick a free one. */
export const port: OptionReader<number> = (label, text) => {
  const n = Number(text)
  if (!/^\d+$/.test(text) || n > 65535) invalidOption(label, 'a port number from 0 to 65535 (0 picks a free one)', text)
  return n
}

// RFC 1123 §2.1 host names; a name whose last label is all digits is an
// attempted IPv4 address (the WHATWG URL host parser's rule), never a name.
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/

/** An address to listen on: an IPv4 or IPv6 literal, or a host name. */
export const host: OptionReader<string> = (label, text) => {
  if (isIP(text) !== 0) return text
  const labels = text.replace(/\.$/, '').split('.')
  const named = text.length <= 253 && labels.every((l) => HOST_LABEL.test(l)) && !/^\d+$/.test(labels.at(-1) ?? '')
  if (!named) invalidOption(label, 'an IP address or a host name', text)
  return text
}

/** One of `allowed`. */
export function oneOf<T extends string>(allowed: readonly T[]): OptionReader<T> {
  return (label, text) => {
    if (!(allowed as readonly string[]).includes(text)) invalidOption(label, `one of ${allowed.join(', ')}`, text)
    return text as T
  }
}

/** A comma-separated list of what `item` reads (empty items are skipped). */
export function listOf<T>(item: OptionReader<T>): OptionReader<T[]> {
  return (label, text) =>
    text
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part !== '')
      .map((part) => item(label, part))
}

/**
 * The text of a URL option with the password of any `user:password@` replaced, for a usage error:
 * a refused URL (a wrong scheme, a typo) still carries the credentials it was given, and usage errors
 * are printed and logged.
 */
export function withoutPassword(text: string): string {
  // The authority ends at the first `/`, `?` or `#`; its last `@` ends the userinfo (a password may hold `@`).
  return text.replace(/^([^@/]*\/\/[^:@/?#]*):[^/?#]*@/, '$1:***@')
}

/** A URL whose scheme is one of `protocols` (with the colon: 'redis:'). */
export function url(protocols: readonly string[]): OptionReader<string> {
  const expected = `a URL (${protocols.map((p) => `${p}//`).join(' or ')})`
  return (label, text) => {
    const shown = withoutPassword(text)
    let parsed: URL
    try {
      parsed = new URL(text)
    } catch {
      return invalidOption(label, expected, shown)
    }
    if (!protocols.includes(parsed.protocol)) invalidOption(label, expected, shown)
    if (parsed.hostname === '') invalidOption(label, expected, shown, 'no host')
    return text
  }
}

export const redisUrl = url(['redis:', 'rediss:'])
export const httpUrl = url(['http:', 'https:'])
const mysqlAny = url(['mysql:'])

/** A mysql:// URL that names its database (mysql://user@host:3306/name). */
export const mysqlDatabaseUrl: OptionReader<string> = (label, text) => {
  mysqlAny(label, text)
  if (new URL(text).pathname.replace(/^\//, '') === '') invalidOption(label, 'a URL (mysql://) naming a database: mysql://user@host:3306/name', withoutPassword(text))
  return text
}

/** A mysql:// URL of the server; the database is given apart (--database). */
export const mysqlServerUrl: OptionReader<string> = mysqlAny

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path)
  } catch {
    return undefined
  }
}

/** A directory that exists (read from). Returns the absolute path. */
export const existingDirectory: OptionReader<string> = (label, text) => {
  const path = resolve(text)
  const s = statOf(path)
  if (!s?.isDirectory()) invalidOption(label, 'an existing directory', text, s ? 'not a directory' : 'no such directory')
  return path
}

/** A directory written to: it exists, or it can be created (its nearest existing ancestor is a directory). */
export const outputDirectory: OptionReader<string> = (label, text) => {
  const path = resolve(text)
  let at = path
  let s = statOf(at)
  while (!s && dirname(at) !== at) {
    at = dirname(at)
    s = statOf(at)
  }
  if (!s?.isDirectory()) invalidOption(label, 'a directory (created if missing)', text, `${at} is not a directory`)
  return path
}

/** A file path in a directory that exists (the file itself may not exist yet); not a directory. */
export const filePath: OptionReader<string> = (label, text) => {
  const path = resolve(text)
  if (statOf(path)?.isDirectory()) invalidOption(label, 'a file path', text, 'a directory')
  if (!statOf(dirname(path))?.isDirectory()) invalidOption(label, 'a file path in an existing directory', text, `no directory ${dirname(path)}`)
  return path
}

/** A route id, by the rule a route's own `config.cutover.id` follows. */
export const routeId: OptionReader<string> = (label, text) => {
  if (!isRouteId(text)) invalidOption(label, `a route id (${ROUTE_ID_RULE})`, text)
  return text
}

/** A MySQL database name the demo creates (letters, digits and "_"). */
export const databaseName: OptionReader<string> = (label, text) => {
  if (!DEMO_DATABASE_NAME.test(text)) invalidOption(label, 'a database name of letters, digits and "_"', text)
  return text
}

/** Any non-empty text (a title, a token, a project name). */
export const text: OptionReader<string> = (label, value) => {
  if (value === '') invalidOption(label, 'a non-empty value', value)
  return value
}

/** A Redis key prefix as cutover's stores take it: 1-64 letters, digits, `.`, `_`, `-`, `:` (no `{` or `}`). */
export const keyPrefix: OptionReader<string> = (label, value) => {
  if (!/^[\w.\-:]{1,64}$/.test(value)) invalidOption(label, 'a key prefix of 1-64 letters, digits, ".", "_", "-", ":"', value)
  return value
}

/** A duration (`500ms`, `90s`, `15m`, `2h`, `1d`, `1w`), in ms. */
export const duration: OptionReader<number> = (label, value) => {
  const ms = durationMs(value)
  if (ms === undefined || ms <= 0) invalidOption(label, DURATION_RULE, value)
  return ms
}

/** A duration that may be zero (`0s`: no wait), in ms. */
export const durationOrZero: OptionReader<number> = (label, value) => {
  const ms = durationMs(value)
  if (ms === undefined) invalidOption(label, DURATION_RULE, value)
  return ms
}

/** A point in time as text (a duration ago, or ISO 8601), checked now and resolved by the command against its clock. */
export const timeText: OptionReader<string> = (label, value) => {
  try {
    parseTimeBound(label, value, 0)
  } catch {
    invalidOption(label, `${DURATION_RULE} (that long ago), or an ISO 8601 time`, value)
  }
  return value
}

/** A file that exists (read from). Returns the path as given, for messages that name it. */
export const existingFile: OptionReader<string> = (label, value) => {
  const s = statOf(resolve(value))
  if (!s?.isFile()) invalidOption(label, 'an existing file', value, s ? 'not a file' : 'no such file')
  return value
}

/** A positive number, decimals allowed (a time scale, a rate). */
export const positiveNumber: OptionReader<number> = (label, value) => {
  const n = decimalNumber(label, value)
  if (!(n > 0)) invalidOption(label, 'a number > 0', value)
  return n
}

/** A refresh queue's name (part of its Redis keys): letters, digits, "_", "." or "-". */
export const queueName: OptionReader<string> = (label, value) => {
  if (!/^[A-Za-z0-9_.-]+$/.test(value)) invalidOption(label, 'a queue name of letters, digits, "_", "." or "-"', value)
  return value
}
