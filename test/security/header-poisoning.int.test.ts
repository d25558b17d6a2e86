import { request as httpRequest } from 'node:http'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'
import { listening, rawExchange } from './wire.js'

const EVIL = 'evil.example'

/** Everything a careless handler might build links from, reflected into the page. */
function reflected(req: FastifyRequest): Record<string, unknown> {
  const h = req.headers
  return {
    url: req.url,
    host: req.host,
    protocol: req.protocol,
    xfh: h['x-forwarded-host'] ?? null,
    xfp: h['x-forwarded-proto'] ?? null,
    forwarded: h.forwarded ?? null,
    originalUrl: h['x-original-url'] ?? null,
    rewriteUrl: h['x-rewrite-url'] ?? null,
    method: h['x-http-method-override'] ?? req.method,
  }
}

function reflectingRoutes(vary: string[] = []) {
  return (app: FastifyInstance): void => {
    app.get('/home', { config: { cutover: { id: 'home', ttl: 60, vary } } }, async (req) => reflected(req))
  }
}

/** Header an attacker sends, with a value the victim must never see. */
const ATTACKS: Array<[string, Record<string, string>]> = [
  ['X-Forwarded-Host', { 'x-forwarded-host': EVIL }],
  ['X-Forwarded-Proto', { 'x-forwarded-proto': 'evil-scheme' }],
  ['Forwarded', { forwarded: `host=${EVIL};proto=https` }],
  ['X-Original-URL', { 'x-original-url': `/${EVIL}` }],
  ['X-Rewrite-URL', { 'x-rewrite-url': `/${EVIL}` }],
  ['X-HTTP-Method-Override', { 'x-http-method-override': 'EVIL-DELETE' }],
  ['Host', { host: EVIL }],
]

const mentionsAttack = (body: string): boolean => body.includes(EVIL) || body.includes('evil-scheme') || body.includes('EVIL-DELETE')

describe.each(STORES)('unkeyed-header poisoning ($name)', (store) => {
  const build = appsFor(store)

  describe.each([
    ['without trustProxy', false],
    ['with trustProxy (request.host and request.protocol follow X-Forwarded-*)', true],
  ])('%s', (_label, trustProxy) => {
    it.each(ATTACKS)('an attacker\'s %s reflected by the handler never reaches a later client', async (_name, attack) => {
      const app = await build(reflectingRoutes(), { trustProxy })
      const poisoned = await app.inject({ url: '/home', headers: attack })
      expect(mentionsAttack(poisoned.body)).toBe(true) // the handler does reflect it: the attack is real

      for (let i = 0; i < 3; i++) {
        const victim = await app.inject({ url: '/home', headers: { host: 'shop.example' } })
        expect(mentionsAttack(victim.body)).toBe(false)
        expect(victim.json().host).toBe('shop.example')
      }
      // and the victims are still served from the cache
      expect(statusOf(await app.inject({ url: '/home', headers: { host: 'shop.example' } }))).toContain('hit')
    })

    it.each(ATTACKS)('a poisoned %s page cached first is not served to a client without the header', async (_name, attack) => {
      const app = await build(reflectingRoutes(), { trustProxy })
      const victimFirst = await app.inject({ url: '/home', headers: { host: 'shop.example' } })
      expect(statusOf(victimFirst)).toContain('stored')
      const attacker = await app.inject({ url: '/home', headers: { host: 'shop.example', ...attack } })
      // Whatever the attacker got, it was not the victim's cached page rendered for someone else, nor stored for the victim.
      expect(attacker.json()).not.toEqual(victimFirst.json())
      const victim = await app.inject({ url: '/home', headers: { host: 'shop.example' } })
      expect(victim.json()).toEqual(victimFirst.json())
      expect(statusOf(victim)).toContain('hit')
    })
  })

  it.each([
    ['X-Original-URL', 'x-original-url'],
    ['X-Rewrite-URL', 'x-rewrite-url'],
    ['X-HTTP-Method-Override', 'x-http-method-override'],
    ['X-HTTP-Method', 'x-http-method'],
    ['X-Method-Override', 'x-method-override'],
  ])('a request carrying %s (a request-rewriting header) is never stored or served from the cache', async (_name, header) => {
    const app = await build(reflectingRoutes())
    const clean = await app.inject('/home')
    expect(statusOf(clean)).toContain('stored')
    const rewritten = await app.inject({ url: '/home', headers: { [header]: '/admin' } })
    expect(statusOf(rewritten)).toBe(`cutover; fwd=bypass; detail=override-header-${header}`)
  })

  it('a route that keys on a request-rewriting header caches it per value instead of bypassing', async () => {
    const app = await build(reflectingRoutes(['x-original-url']))
    const a = await app.inject({ url: '/home', headers: { 'x-original-url': '/a' } })
    const plain = await app.inject('/home')
    const a2 = await app.inject({ url: '/home', headers: { 'x-original-url': '/a' } })
    expect(statusOf(a)).toContain('stored')
    expect(plain.json().originalUrl).toBeNull()
    expect(statusOf(a2)).toContain('hit')
    expect(a2.json().originalUrl).toBe('/a')
  })

  it('behind a proxy that sets X-Forwarded-Proto and X-Forwarded-Host on every request, pages are still cached', async () => {
    const app = await build(reflectingRoutes(), { trustProxy: true })
    const proxied = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.example', forwarded: 'for=10.0.0.1;proto=https' }
    const first = await app.inject({ url: '/home', headers: proxied })
    const second = await app.inject({ url: '/home', headers: { ...proxied, forwarded: 'for=10.0.0.2;proto=https' } })
    expect(statusOf(first)).toContain('stored')
    expect(statusOf(second)).toContain('hit')
    expect(second.json()).toMatchObject({ host: 'shop.example', protocol: 'https' })
  })

  it('a handler Vary on X-Forwarded-Host or Host is storable (they are part of the key)', async () => {
    const app = await build((a) => {
      a.get('/home', { config: { cutover: { id: 'home', ttl: 60 } } }, async (req, reply) => {
        reply.header('vary', 'Host, X-Forwarded-Host')
        return reflected(req)
      })
    })
    expect(statusOf(await app.inject('/home'))).toContain('stored')
    const evil = await app.inject({ url: '/home', headers: { 'x-forwarded-host': EVIL } })
    expect(statusOf(evil)).toContain('stored')
    const clean = await app.inject('/home')
    expect(statusOf(clean)).toContain('hit')
    expect(mentionsAttack(clean.body)).toBe(false)
  })

  describe('over a real socket', () => {
    function get(port: number, headers: Record<string, string>): Promise<string> {
      return new Promise((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port, path: '/home', headers }, (res) => {
          let body = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => (body += chunk))
          res.on('end', () => resolve(body))
        })
        req.on('error', reject)
        req.end()
      })
    }

    it('a spoofed Host sent over HTTP/1.1 is not served to clients asking for the real host', async () => {
      const app = await build(reflectingRoutes())
      const port = await listening(app)
      expect(await get(port, { host: EVIL })).toContain(EVIL)
      const victim = await get(port, { host: 'shop.example' })
      expect(victim).not.toContain(EVIL)
      expect(JSON.parse(victim).host).toBe('shop.example')
    })

    it('an absolute-form request target naming another host does not poison the origin-form page', async () => {
      const app = await build(reflectingRoutes())
      const port = await listening(app)
      // The Host header is the real one: only the request target names the attacker's host.
      const attack = await rawExchange(port, `GET http://${EVIL}/home HTTP/1.1\r\nHost: shop.example\r\nConnection: close\r\n\r\n`)
      expect(attack).toContain(EVIL)
      const victim = await get(port, { host: 'shop.example' })
      expect(victim).not.toContain(EVIL)
    })

    it('duplicated X-Forwarded-Host headers (one honest, one forged) do not poison the single-header page', async () => {
      const app = await build(reflectingRoutes(), { trustProxy: true })
      const port = await listening(app)
      const attack = await rawExchange(
        port,
        `GET /home HTTP/1.1\r\nHost: shop.example\r\nX-Forwarded-Host: shop.example\r\nX-Forwarded-Host: ${EVIL}\r\nConnection: close\r\n\r\n`,
      )
      expect(attack).toContain(EVIL)
      const victim = await get(port, { host: 'shop.example', 'x-forwarded-host': 'shop.example' })
      expect(victim).not.toContain(EVIL)
      expect(JSON.parse(victim).host).toBe('shop.example')
    })
  })
})
