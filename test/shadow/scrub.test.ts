import { describe, expect, it } from 'vitest'
import type { ShadowRecord } from '../../src/shadow/record.js'
import { createRedactor, REDACTED } from '../../src/shadow/redact.js'
import { collectSecrets, createScrubber, encodingsOf, MIN_SECRET_LENGTH, scrubRecord } from '../../src/shadow/scrub.js'

const names = { headers: new Set(['authorization', 'cookie', 'set-cookie', 'x-api-key']), queryParams: new Set(['token', 'api_key']) }

describe('collectSecrets', () => {
  it('takes secret query values as written and decoded, secret header values with their parts, Set-Cookie values', () => {
    const secrets = collectSecrets(
      {
        url: '/a?page=2&token=tok%2Fen+one&API_KEY=k3y-123456&other=notsecret',
        headers: { authorization: 'Bearer bearer-abcdef', cookie: 'sid=session-0001; theme=dark', 'x-api-key': ['key-a-1234'], accept: 'text/html-abc' },
      },
      names,
      { 'set-cookie': ['next=set-cookie-99; Path=/; HttpOnly'] },
    )
    expect(secrets).toEqual(expect.arrayContaining([
      'tok%2Fen+one', 'tok/en one', 'k3y-123456', 'Bearer bearer-abcdef', 'bearer-abcdef', 'session-0001', 'key-a-1234', 'set-cookie-99',
    ]))
    expect(secrets).not.toContain('notsecret')
    expect(secrets).not.toContain('text/html-abc')
  })

  it('takes bracketed names (token[], api_key[0]) as the parameter they name, in the URL and the secrets alike', () => {
    expect(collectSecrets({ url: '/a?token%5B%5D=first-value&API_KEY[0]=second-value&tokens=not-this-one', headers: {} }, names)).toEqual(['first-value', 'second-value'])
    expect(createRedactor().url('/a?token[]=first-value&page=2')).toBe('/a?token%5B%5D=%5Bredacted%5D&page=2')
  })

  it('leaves out values shorter than MIN_SECRET_LENGTH (ordinary words, not credentials)', () => {
    const secrets = collectSecrets({ url: '/a?token=12345', headers: { cookie: 'theme=dark; lang=en' } }, names)
    expect(MIN_SECRET_LENGTH).toBe(6)
    expect(secrets.filter((s) => s.length < MIN_SECRET_LENGTH)).toEqual([])
    expect(secrets).not.toContain('12345')
    expect(createScrubber(secrets).text('theme dark, page 12345')).toBe('theme dark, page 12345')
  })

  it('takes the value of a Set-Cookie, not its attributes (no "Secure" or domain scrubbed from every body)', () => {
    const secrets = collectSecrets({ url: '/', headers: {} }, names, {
      'set-cookie': ['sid=cookie-value-1; Domain=shop.example; Path=/account; Expires=Wed, 21 Oct 2026 07:28:00 GMT; Secure; HttpOnly'],
    })
    expect(secrets).toEqual(['cookie-value-1'])
  })

  it('decodes Basic credentials: the password and user:password are secrets', () => {
    const basic = 'Basic ' + Buffer.from('ann:hunter2-pass').toString('base64')
    expect(collectSecrets({ url: '/', headers: { authorization: basic } }, names)).toEqual(expect.arrayContaining(['ann:hunter2-pass', 'hunter2-pass']))
  })
})

describe('createScrubber', () => {
  const secret = 'S3cr/et "tok" & <x> é+1'
  const s = createScrubber([secret])

  it('replaces the value in every encoding a body may carry it in', () => {
    const forms = [
      secret,
      encodeURIComponent(secret),
      encodeURIComponent(secret).toLowerCase(),
      new URLSearchParams({ t: secret }).toString().slice(2),
      JSON.stringify(secret).slice(1, -1),
      JSON.stringify(secret).slice(1, -1).replace(/\//g, '\\/'),
      JSON.stringify(secret).slice(1, -1).replace('é', '\\u00e9'),
      'S3cr/et &quot;tok&quot; &amp; &lt;x&gt; é+1',
      Buffer.from(secret).toString('base64'),
      Buffer.from(secret).toString('base64url'),
      'S3cr~1et "tok" & <x> é+1',
      secret.toUpperCase(),
    ]
    for (const form of forms) expect(s.text(`before ${form} after`), form).toBe(`before ${REDACTED} after`)
    expect(encodingsOf('abc')).toEqual([])
  })

  it('scrubs strings, numbers and keys inside JSON values', () => {
    const t = createScrubber(['20260101999'])
    expect(t.value({ n: 20260101999, list: ['x 20260101999 y'], '20260101999': true, keep: 42 })).toEqual({
      n: REDACTED, list: [`x ${REDACTED} y`], [REDACTED]: true, keep: 42,
    })
  })

  it('replaces a value before any shorter secret inside it', () => {
    expect(createScrubber(['abcdef', 'xxabcdefyy']).text('1 xxabcdefyy 2 abcdef')).toBe(`1 ${REDACTED} 2 ${REDACTED}`)
  })

  it('does nothing without secrets', () => {
    const none = createScrubber([])
    expect(none.empty).toBe(true)
    expect(none.text('a [b] (c)')).toBe('a [b] (c)')
  })
})

describe('scrubRecord', () => {
  it('scrubs every string of a record: url, headers, error, diff paths, shapes, values, reasons and the patch', () => {
    const secret = 'QUERYTOKEN-abc123'
    const record: ShadowRecord = {
      route: 'r', at: 1, method: 'GET', url: `/p/${secret}?page=1`, headers: { 'user-agent': `ua ${secret}` },
      outcome: 'mismatch', cause: 'logic', error: `failed for ${secret}`, candidateSource: 'fresh', pageAgeMs: null,
      control: { status: 200, durationMs: 1, dbCalls: null, redisCalls: null, refreshJobs: null }, candidate: null, fresh: null,
      diffs: [{ path: `/tokens/${secret}`, shape: `/tokens/${secret}`, kind: 'value', control: { t: secret }, candidate: 1, cause: null, ignored: { rule: 'ignore', reason: `because ${secret}` } }],
      patch: `-  "t": "${secret}"\n+  "t": "other"\n`,
    }
    const out = JSON.stringify(scrubRecord(record, createScrubber([secret])))
    expect(out).not.toContain(secret)
    expect(out).toContain(REDACTED)
  })
})

describe('Redactor.secrets', () => {
  it('uses the redactor\'s names: configured headers and query parameters', () => {
    const r = createRedactor({ headers: ['x-private'], queryParams: ['sig'] })
    expect(r.secrets({ url: '/a?sig=signature-1&token=not-by-this-one', headers: { 'x-private': 'private-value' } })).toEqual(
      expect.arrayContaining(['signature-1', 'private-value']),
    )
    expect(r.secrets({ url: '/a?token=not-by-this-one', headers: {} })).toEqual([])
  })
})
