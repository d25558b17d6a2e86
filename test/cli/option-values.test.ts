import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  databaseName,
  decimal,
  existingDirectory,
  filePath,
  firstGiven,
  host,
  httpUrl,
  integer,
  listOf,
  mysqlDatabaseUrl,
  mysqlServerUrl,
  oneOf,
  outputDirectory,
  port,
  redisUrl,
  withoutPassword,
  routeId,
  type OptionReader,
} from '../../src/cli/option-values.js'

/** The usage error a reader throws for `text`, or undefined when it accepts it. */
function refusal<T>(reader: OptionReader<T>, text: string): { code?: string; message: string } | undefined {
  try {
    reader('--opt', text)
    return undefined
  } catch (err) {
    return err as { code?: string; message: string }
  }
}

function accepts<T>(reader: OptionReader<T>, texts: string[]): void {
  for (const text of texts) expect(refusal(reader, text), text).toBeUndefined()
}

function refuses<T>(reader: OptionReader<T>, texts: string[], expected: RegExp): void {
  for (const text of texts) {
    const err = refusal(reader, text)
    expect(err?.code, text).toBe('CUTOVER_ERR_CLI_USAGE')
    // Names the option, says what was expected and quotes what was given.
    expect(err?.message, text).toMatch(/^expected --opt to be /)
    expect(err?.message, text).toMatch(expected)
    expect(err?.message, text).toContain(`got ${JSON.stringify(text)}`)
  }
}

describe('CLI option readers', () => {
  it('port: a whole number from 0 to 65535', () => {
    expect(port('--port', '0')).toBe(0)
    expect(port('--port', '65535')).toBe(65535)
    accepts(port, ['3000', '1'])
    refuses(port, ['65536', '99999', '-1', '80.5', '', ' 80', '0x50', '1e3', 'http'], /port number from 0 to 65535/)
  })

  it('host: an IP literal or a host name; a dotted number that is no IPv4 address is refused', () => {
    accepts(host, ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost', 'app-1.internal', 'example.com.'])
    refuses(host, ['999.1.1.1', '1.2.3', '256.0.0.1', '', 'a b', 'bad_host', '-lead.example', 'http://x'], /IP address or a host name/)
  })

  it('integer: decimal digits within the range', () => {
    const connections = integer({ min: 1 })
    expect(connections('--c', '8')).toBe(8)
    refuses(connections, ['0', '-3', '1.5', '', 'eight', '1e3', '0x10', 'Infinity'], /a whole number 1 or more/)
    refuses(integer({ min: 0, max: 14, unit: 'seconds' }), ['15'], /a whole number of seconds from 0 to 14/)
  })

  it('decimal: a number within the range, bounds as asked', () => {
    const rate = decimal({ min: 0, max: 1, inclusive: [false, true] })
    expect(rate('--r', '0.25')).toBe(0.25)
    expect(rate('--r', '1')).toBe(1)
    accepts(rate, ['.5', '1.0'])
    refuses(rate, ['0', '1.5', '-0.1', '', 'NaN', 'half', '1e-1'], /a number in \(0, 1\]/)
  })

  it('oneOf and listOf', () => {
    const queue = oneOf(['list', 'bullmq'] as const)
    expect(queue('--q', 'bullmq')).toBe('bullmq')
    refuses(queue, ['kafka', '', 'List'], /one of list, bullmq/)
    expect(listOf(queue)('--q', 'list, bullmq,,')).toEqual(['list', 'bullmq'])
    // The item at fault is quoted.
    expect(refusal(listOf(queue), 'list,kafka')?.message).toBe('expected --opt to be one of list, bullmq, got "kafka"')
  })

  it('URLs: parsed, with the scheme asked for and a host', () => {
    accepts(redisUrl, ['redis://127.0.0.1:6379', 'rediss://:secret@cache.internal:6380/2'])
    refuses(redisUrl, ['not a url', 'notaurl', '127.0.0.1:6379', 'http://cache:6379', 'redis://'], /a URL \(redis:\/\/ or rediss:\/\/\)/)
    accepts(httpUrl, ['http://unleash:4242/api', 'https://example.com'])
    refuses(httpUrl, ['unleash:4242', 'ftp://x'], /a URL \(http:\/\/ or https:\/\/\)/)
    accepts(mysqlServerUrl, ['mysql://root@127.0.0.1:3306', 'mysql://u:p@db/name'])
    refuses(mysqlServerUrl, ['nonsense', 'postgres://db/x'], /a URL \(mysql:\/\/\)/)
    accepts(mysqlDatabaseUrl, ['mysql://root@127.0.0.1:3306/shop'])
    refuses(mysqlDatabaseUrl, ['mysql://root@127.0.0.1:3306', 'mysql://root@127.0.0.1:3306/'], /naming a database/)
  })

  it('a refused URL is quoted without its password', () => {
    expect(refusal(mysqlServerUrl, 'postgres://app:pa@ss-w0rd@db:5432/x')?.message).toBe(
      'expected --opt to be a URL (mysql://), got "postgres://app:***@db:5432/x"',
    )
    expect(refusal(mysqlDatabaseUrl, 'mysql://root:hunter22@127.0.0.1:3306/')?.message).toContain('"mysql://root:***@127.0.0.1:3306/"')
    expect(refusal(redisUrl, 'redis//:s3cret-pw@cache:6379')?.message).not.toContain('s3cret-pw')
    expect(withoutPassword('rediss://:s3cret@cache/0')).toBe('rediss://:***@cache/0')
    expect(withoutPassword('mysql://root@db/x')).toBe('mysql://root@db/x')
  })

  it('route id: the rule of config.cutover.id', () => {
    accepts(routeId, ['products.list', 'GET:/api/x-y_z', 'x'.repeat(128)])
    refuses(routeId, ['bad id{', '', 'x'.repeat(129), 'a#b'], /a route id \(1-128 characters of letters, digits/)
  })

  it('database name: letters, digits and "_"', () => {
    accepts(databaseName, ['cutover_demo', 'DB1'])
    refuses(databaseName, ['x`; DROP DATABASE y', 'a-b', ''], /database name/)
  })

  it('firstGiven: the option, else the first variable set, with where it came from', () => {
    expect(firstGiven(['--db', undefined], ['CUTOVER_MYSQL_URL', ''], ['MYSQL_URL', 'mysql://h/x'])).toEqual({ label: 'MYSQL_URL', text: 'mysql://h/x' })
    expect(firstGiven(['--db', 'mysql://a/b'], ['MYSQL_URL', 'mysql://h/x'])).toEqual({ label: '--db', text: 'mysql://a/b' })
    expect(firstGiven(['--db', undefined])).toBeUndefined()
  })

  describe('paths', () => {
    let dir: string
    let file: string
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cutover-option-values-'))
      file = join(dir, 'a-file')
      await writeFile(file, 'x')
    })
    afterAll(() => rm(dir, { recursive: true, force: true }))

    it('existingDirectory: a directory that is there', () => {
      expect(existingDirectory('--dir', dir)).toBe(dir)
      refuses(existingDirectory, [join(dir, 'missing')], /an existing directory.*no such directory/)
      refuses(existingDirectory, [file], /an existing directory.*not a directory/)
    })

    it('outputDirectory: a directory, or one that can be created', () => {
      expect(outputDirectory('--out', join(dir, 'new', 'deeper'))).toBe(join(dir, 'new', 'deeper'))
      accepts(outputDirectory, [dir])
      refuses(outputDirectory, [file, join(file, 'below')], /a directory \(created if missing\).*is not a directory/)
    })

    it('filePath: a file in a directory that is there', () => {
      expect(filePath('--file', join(dir, 'flags.yaml'))).toBe(join(dir, 'flags.yaml'))
      accepts(filePath, [file])
      refuses(filePath, [dir], /a file path.*a directory/)
      refuses(filePath, [join(dir, 'missing', 'flags.yaml')], /a file path in an existing directory/)
    })
  })
})
