import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { io } from '../helpers/cli.js'
import { runCli } from '../../src/cli/run.js'

// Every option that takes a URL, a path, a number, an enum or a route id is
// read before anything is opened: a malformed value is bad usage (exit 2,
// CUTOVER_ERR_CLI_USAGE) with a message naming the option and what was
// expected. Some of these exited 1 with an uncoded error (ERR_INVALID_URL,
// ENOENT) or were accepted.


let dir: string
let aFile: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cutover-cli-usage-'))
  aFile = join(dir, 'a-file')
  await writeFile(aFile, 'x')
})
afterAll(() => rm(dir, { recursive: true, force: true }))

// [argv, env, what the message must say]; the file and directory placeholders are filled in per test.
type Case = [argv: string[], env: NodeJS.ProcessEnv, message: RegExp]

const DB = 'mysql://root@127.0.0.1:1/cutover_usage'
const cases: Case[] = [
  // URLs
  [['invalidate', '--tag', 't', '--redis-url', 'not a url'], {}, /--redis-url to be a URL \(redis:\/\/ or rediss:\/\/\), got "not a url"/],
  [['invalidate', '--tag', 't', '--redis-url', 'notaurl'], {}, /--redis-url to be a URL/],
  [['invalidate', '--tag', 't'], { REDIS_URL: 'cache:6379' }, /REDIS_URL to be a URL \(redis:\/\/ or rediss:\/\/\)/],
  [['db', 'migrate', '--db', 'nonsense'], {}, /--db to be a URL \(mysql:\/\/\), got "nonsense"/],
  [['db', 'migrate', '--db', 'mysql://root@127.0.0.1:3306'], {}, /--db to be a URL \(mysql:\/\/\) naming a database/],
  [['db', 'migrate'], { CUTOVER_MYSQL_URL: 'nonsense', MYSQL_URL: DB }, /CUTOVER_MYSQL_URL to be a URL \(mysql:\/\/\)/],
  [['report', 'shadow', '--db', 'nonsense'], {}, /--db to be a URL \(mysql:\/\/\)/],
  [['report', 'shadow', '--db', DB, '--base-url', 'shop.example'], {}, /--base-url to be a URL \(http:\/\/ or https:\/\/\)/],
  [['report', 'amplification', '--redis-url', 'not a url'], {}, /--redis-url to be a URL/],
  [['demo', '--duration', '1'], { MYSQL_URL: 'nonsense' }, /MYSQL_URL to be a URL \(mysql:\/\/\)/],
  [['demo', 'serve'], { REDIS_URL: 'not a url' }, /REDIS_URL to be a URL/],
  [['flags', 'kill', '--unleash-url', 'unleash:4242', '--token', 't'], {}, /--unleash-url to be a URL \(http:\/\/ or https:\/\/\)/],
  [['flags', 'kill', '--token', 't'], { CUTOVER_UNLEASH_URL: 'nope' }, /CUTOVER_UNLEASH_URL to be a URL/],
  // paths
  [['db', 'migrate', '--db', DB, '--dir', '/nonexistent'], {}, /--dir to be an existing directory, got "\/nonexistent" \(no such directory\)/],
  [['db', 'migrate', '--db', DB, '--dir', '<file>'], {}, /--dir to be an existing directory.*not a directory/],
  [['report', 'amplification', '--out', '<dir>/missing/amp.html'], {}, /--out to be a file path in an existing directory/],
  [['report', 'amplification', '--out', '<dir>'], {}, /--out to be a file path.*a directory/],
  [['report', 'shadow', '--db', DB, '--out', '<file>'], {}, /--out to be a directory \(created if missing\)/],
  [['demo', '--out', '<file>/reports'], {}, /--out to be a directory \(created if missing\)/],
  [['demo', 'shadow', '--out', '<file>'], {}, /--out to be a directory \(created if missing\)/],
  [['flags', 'show', 'a', '--file', '<dir>/missing/flags.yaml'], {}, /--file to be a file path in an existing directory/],
  [['flags', 'show', 'a', '--file', '<dir>'], {}, /--file to be a file path.*a directory/],
  [['flags', 'show', 'a'], { CUTOVER_FLAGS_FILE: '<dir>/missing/flags.yaml' }, /CUTOVER_FLAGS_FILE to be a file path in an existing directory/],
  // numbers and enums
  [['db', 'migrate', '--db', DB, '--lock-timeout', 'soon'], {}, /--lock-timeout to be a whole number of seconds 0 or more, got "soon"/],
  [['db', 'migrate', '--db', DB, '--lock-timeout', ''], {}, /--lock-timeout to be a whole number/],
  [['report', 'amplification', '--bucket-seconds', '1.5'], {}, /--bucket-seconds to be a whole number/],
  [['report', 'shadow', '--db', DB, '--min-samples', '0'], {}, /--min-samples to be a whole number 1 or more/],
  [['report', 'shadow', '--db', DB, '--max-mismatch', '1'], {}, /--max-mismatch to be a number in \(0, 1\)/],
  [['report', 'shadow', '--db', DB, '--format', 'html,pdf'], {}, /--format to be one of html, md, json, got "pdf"/],
  [['flags', 'set', 'a', '--mode', 'sideways', '--file', '<dir>/f.yaml'], {}, /--mode to be one of off, shadow, canary, on, got "sideways"/],
  [['flags', 'set', 'a', '--mode', 'canary', '--percent', '1e1', '--file', '<dir>/f.yaml'], {}, /--percent to be a number/],
  [['demo', '--database', 'shop-db'], {}, /--database to be a database name of letters, digits and "_"/],
  [['demo', 'serve', '--port=-1'], {}, /--port to be a port number from 0 to 65535 \(0 picks a free one\), got "-1"/],
  [['demo', 'serve', '--port', '80.5'], {}, /--port to be a port number/],
  [['demo', 'serve', '--port', 'http'], {}, /--port to be a port number/],
  [['demo', 'serve', '--host', '1.2.3'], {}, /--host to be an IP address or a host name, got "1\.2\.3"/],
  [['demo', 'serve', '--queue', 'kafka'], {}, /--queue to be one of list, bullmq, got "kafka"/],
  [['demo', 'shadow', '--rename-at', '15'], {}, /--rename-at to be a whole number of seconds from 0 to 14, got "15"/],
  [['flags', 'set', 'a', '--file', '<dir>/f.yaml'], {}, /missing --mode \(off, shadow, canary, on\)/],
  // route ids
  [['flags', 'create', 'a', 'bad id{', '--file', '<dir>/f.yaml'], {}, /route id to be a route id \(1-128 characters of letters, digits, \. _ - : \/\), got "bad id\{"/],
  [['flags', 'set', 'bad id{', '--mode', 'on', '--file', '<dir>/f.yaml'], {}, /route id to be a route id/],
  [['flags', 'show', 'x'.repeat(129), '--file', '<dir>/f.yaml'], {}, /route id to be a route id/],
  [['invalidate', '--route', 'bad id{'], {}, /--route to be a route id/],
  [['report', 'shadow', '--db', DB, '--route', 'a b'], {}, /--route to be a route id/],
  [['report', 'shadow', '--db', DB, '--route-threshold', 'bad id{=0.1'], {}, /--route-threshold to be a route id/],
  // what the invalidation API refuses, found before Redis is opened
  [['invalidate', '--key', 'products.list'], {}, /--key.*"<route>:<hex hash>"/],
  [['invalidate', '--tag', '@route:other'], {}, /--tag.*not starting with "@"/],
]

describe('CLI options are read before anything is opened; a malformed value is bad usage', () => {
  it.each(cases)('%j %j: exit 2 naming the option', async (argv, env, message) => {
    const fill = (s: string): string => s.replace('<dir>', dir).replace('<file>', aFile)
    const t = io(Object.fromEntries(Object.entries(env).map(([k, v]) => [k, fill(v as string)])))
    expect(await runCli(argv.map(fill), t)).toBe(2)
    expect(t.errors.join('\n')).toMatch(/CUTOVER_ERR_CLI_USAGE: /)
    expect(t.errors.join('\n')).toMatch(message)
  })

  it.each([
    [['db', 'migrate', '--db', DB]],
    [['report', 'shadow', '--db', DB, '--out', '<dir>/reports']],
  ])('%j: an unreachable MySQL is a coded error naming the URL and where it came from (exit 1)', async (argv) => {
    const t = io()
    expect(await runCli(argv.map((a) => a.replace('<dir>', dir)), t)).toBe(1)
    expect(t.errors.join('\n')).toMatch(/CUTOVER_ERR_DEMO_SERVICE_UNREACHABLE: MySQL is not reachable at mysql:\/\/root@127\.0\.0\.1:1\/cutover_usage .*set --db \(or CUTOVER_MYSQL_URL, MYSQL_URL\)/)
  })

  it('a flags file with a malformed id is not written', async () => {
    const path = join(dir, 'untouched.yaml')
    const t = io()
    expect(await runCli(['flags', 'create', 'good', 'bad id{', '--file', path], t)).toBe(2)
    expect(await runCli(['flags', 'show', 'good', '--file', path], t)).toBe(0)
    expect(t.lines).toEqual(['kill switch: off', 'good: no flag (off)'])
  })
})
