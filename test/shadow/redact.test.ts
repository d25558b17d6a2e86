import { describe, expect, it } from 'vitest'
import { createRedactor, REDACTED, secretsOf } from '../../src/shadow/redact.js'

describe('redaction', () => {
  const r = createRedactor({ bodyPaths: ['/user/token', '/items/*/card'] })

  it('redacts secret headers, keeps safe ones and drops the rest', () => {
    expect(r.headers({ Authorization: 'Bearer abc', cookie: 'sid=1', accept: 'application/json', 'x-forwarded-for': '10.1.2.3' })).toEqual({
      authorization: REDACTED,
      cookie: REDACTED,
      accept: 'application/json',
    })
    expect(createRedactor({ keepHeaders: ['x-n'] }).headers({ 'X-N': 3, accept: 'a' })).toEqual({ 'x-n': '3' })
  })

  it('redacts configured body paths, also inside a value that sits below the root', () => {
    expect(r.json({ user: { token: 't', name: 'n' }, items: [{ card: '4111', id: 1 }] })).toEqual({
      user: { token: REDACTED, name: 'n' },
      items: [{ card: REDACTED, id: 1 }],
    })
    expect(r.json({ token: 't', name: 'n' }, '/user')).toEqual({ token: REDACTED, name: 'n' })
    expect(r.json('4111', '/items/2/card')).toBe(REDACTED)
  })

  it('redacts secret query parameters', () => {
    expect(r.url('/a?page=2&token=s3cr3t')).toBe('/a?page=2&token=%5Bredacted%5D')
    expect(r.url('/a')).toBe('/a')
  })

  it('scrubs secret values collected from headers out of free text', () => {
    const secrets = secretsOf({ authorization: 'Bearer tok-123456', cookie: 'sid=abcdef; theme=dark' }, { 'set-cookie': ['s2=zzzz9999; Path=/'] })
    const text = 'echo tok-123456 and abcdef and zzzz9999'
    expect(r.scrub(text, secrets)).toBe(`echo ${REDACTED} and ${REDACTED} and ${REDACTED}`)
  })
})
