import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { appWith, eventually } from '../helpers/app.js'

/**
 * A followOrigin route in front of a scripted origin: each render answers
 * with the next step's status and headers (the last step repeats), and
 * records the request headers it was sent.
 */
interface Step {
  status?: number
  headers?: Record<string, string>
  body?: string
}

async function originApp(steps: Step[], route: Record<string, unknown> = {}): Promise<{ app: FastifyInstance; seen: Array<Record<string, unknown>> }> {
  const app = await appWith({ memory: { maxBytes: 1 << 20 } })
  const seen: Array<Record<string, unknown>> = []
  const handler = async (request: FastifyRequest, reply: FastifyReply) => {
    const step = steps[Math.min(seen.length, steps.length - 1)] as Step
    seen.push({ ...request.headers, method: request.method })
    reply.code(step.status ?? 200).headers(step.headers ?? {})
    return step.status === 304 ? '' : (step.body ?? `render ${seen.length}`)
  }
  const cutover = { id: 'o', followOrigin: true, statuses: [200, 404, 500, 503], ...route }
  app.route({ method: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'], url: '/p/*', config: { cutover }, handler })
  return { app, seen }
}

const status = (res: { headers: Record<string, unknown> }): string => String(res.headers['cache-status'])

afterEach(() => {
  vi.useRealTimers()
})

describe('followOrigin: invalidation by unsafe methods (RFC 9111 §4.4)', () => {
  it('a POST answered 2xx invalidates its target URI before it is answered, and no other page', async () => {
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=3600' } }])
    for (const path of ['/p/a', '/p/b', '/p/c', '/p/d']) await app.inject(path)
    expect(status(await app.inject('/p/a'))).toContain('hit')
    await app.inject({ method: 'POST', url: '/p/a' })
    expect(status(await app.inject('/p/a'))).toContain('fwd=miss')
    expect(status(await app.inject('/p/d'))).toContain('hit')
  })
  it('Location and Content-Location on the same host are invalidated too; a 500 invalidates nothing', async () => {
    const steps: Step[] = [
      { headers: { 'cache-control': 'max-age=3600' } },
      { headers: { 'cache-control': 'max-age=3600' } },
      { status: 500, headers: {} },
      { status: 201, headers: { location: '/p/b', 'content-location': 'http://localhost:80/p/c' } },
      { headers: { 'cache-control': 'max-age=3600' } },
    ]
    const { app } = await originApp(steps)
    await app.inject('/p/b')
    await app.inject({ url: '/p/c', headers: { host: 'localhost:80' } })
    await app.inject({ method: 'POST', url: '/p/x' })
    expect(status(await app.inject('/p/b'))).toContain('hit')
    await app.inject({ method: 'PUT', url: '/p/x', headers: { host: 'localhost:80' } })
    expect(status(await app.inject({ url: '/p/c', headers: { host: 'localhost:80' } }))).toContain('fwd=miss')
  })
})

describe('followOrigin: Age and Date (RFC 9111 §4.2.3, §5.1; RFC 9110 §6.6.1)', () => {
  it('a hit sends the origin\'s Age plus the time the page spent in the cache, and the stored Date', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'))
    const date = new Date().toUTCString()
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=3600', age: '30', date } }])
    await app.inject('/p/a')
    vi.setSystemTime(new Date('2026-01-01T00:00:05Z'))
    const hit = await app.inject('/p/a')
    expect(status(hit)).toContain('hit')
    expect(hit.headers.age).toBe('35')
    expect(hit.headers.date).toBe(date)
  })
})

describe('followOrigin: Vary secondary keys (RFC 9111 §4.1)', () => {
  it('stores one variant per value of the nominated header and serves each only to its own', async () => {
    const { app, seen } = await originApp([{ headers: { 'cache-control': 'max-age=3600', vary: 'Accept-Language' } }])
    const en = await app.inject({ url: '/p/v', headers: { 'accept-language': 'en' } })
    const fr = await app.inject({ url: '/p/v', headers: { 'accept-language': 'fr' } })
    const en2 = await app.inject({ url: '/p/v', headers: { 'accept-language': 'EN' } })
    const fr2 = await app.inject({ url: '/p/v', headers: { 'accept-language': 'fr' } })
    const none = await app.inject('/p/v')
    expect(status(en2)).toContain('hit')
    expect(en2.body).toBe(en.body)
    expect(status(fr2)).toContain('hit')
    expect(fr2.body).toBe(fr.body)
    expect(fr.body).not.toBe(en.body)
    expect(status(none)).not.toContain('hit')
    expect(seen).toHaveLength(3)
  })
  it('peek (what shadows compare) finds the variant a request would be served, the primary key\'s and the others', async () => {
    const { app, seen } = await originApp([{ headers: { 'cache-control': 'max-age=3600', vary: 'Accept-Language' } }])
    const en = await app.inject({ url: '/p/k', headers: { 'accept-language': 'en' } })
    const fr = await app.inject({ url: '/p/k', headers: { 'accept-language': 'fr' } })
    const peek = (language: string | undefined) =>
      app.cutover.peek('o', { url: '/p/k', query: {}, headers: { host: 'localhost:80', ...(language ? { 'accept-language': language } : {}) } })
    expect((await peek('en'))?.page.body.toString()).toBe(en.body)
    expect((await peek('EN'))?.page.body.toString()).toBe(en.body)
    expect((await peek('fr'))?.page.body.toString()).toBe(fr.body)
    expect(await peek('de')).toBeUndefined()
    expect(await peek(undefined)).toBeUndefined()
    expect(seen).toHaveLength(2)
  })
  it('peek finds no variant a lookup would not serve: one stored without the Vary its primary page nominates', async () => {
    // The origin stops sending Vary: the fr render is stored under fr's variant key, without a Vary of its own.
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=3600', vary: 'Accept-Language' } }, { headers: { 'cache-control': 'max-age=3600' } }])
    await app.inject({ url: '/p/w', headers: { 'accept-language': 'en' } })
    await app.inject({ url: '/p/w', headers: { 'accept-language': 'fr' } })
    const peek = (language: string) => app.cutover.peek('o', { url: '/p/w', query: {}, headers: { host: 'localhost:80', 'accept-language': language } })
    const lookup = await app.inject({ url: '/p/w', headers: { 'accept-language': 'fr' } })
    expect(status(lookup)).not.toContain('hit')
    expect(await peek('fr')).toBeUndefined()
    expect(await peek('en')).toBeDefined()
  })
})

describe('followOrigin: revalidation (RFC 9111 §4.3)', () => {
  it('a stale page is revalidated with If-None-Match and If-Modified-Since; a 304 updates its headers and the client gets the stored body', async () => {
    const lm = 'Sun, 06 Nov 1994 08:49:37 GMT'
    const { app, seen } = await originApp([
      { headers: { 'cache-control': 'max-age=1', etag: '"v1"', 'last-modified': lm, 'test-header': 'A' }, body: 'the page' },
      { status: 304, headers: { 'cache-control': 'max-age=3600', etag: '"v1"', 'test-header': 'B' } },
    ])
    vi.useFakeTimers({ toFake: ['Date'] })
    await app.inject('/p/r')
    vi.setSystemTime(Date.now() + 2000)
    const revalidated = await app.inject('/p/r')
    expect(seen[1]).toMatchObject({ 'if-none-match': '"v1"', 'if-modified-since': lm })
    expect(revalidated.statusCode).toBe(200)
    expect(revalidated.body).toBe('the page')
    expect(revalidated.headers['test-header']).toBe('B')
    expect(status(revalidated)).toContain('detail=revalidated')
    const hit = await app.inject('/p/r')
    expect(status(hit)).toContain('hit')
    expect(hit.headers['test-header']).toBe('B')
    expect(seen).toHaveLength(2)
  })
  it('no-cache is stored and revalidated on every request; a client\'s own validator is answered 304 from the freshened page', async () => {
    const { app, seen } = await originApp([
      { headers: { 'cache-control': 'no-cache', etag: '"v1"' }, body: 'the page' },
      { status: 304, headers: { etag: '"v1"' } },
    ])
    await app.inject('/p/n')
    const again = await app.inject({ url: '/p/n', headers: { 'if-none-match': '"v1"' } })
    expect(seen[1]).toMatchObject({ 'if-none-match': '"v1"' })
    expect(again.statusCode).toBe(304)
    expect(again.body).toBe('')
  })
  it('a fresh page answers If-Modified-Since with 304', async () => {
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=3600', 'last-modified': 'Sun, 06 Nov 1994 08:49:37 GMT' } }])
    await app.inject('/p/m')
    const res = await app.inject({ url: '/p/m', headers: { 'if-modified-since': 'Mon, 07 Nov 1994 08:49:37 GMT' } })
    expect(res.statusCode).toBe(304)
  })
})

describe('followOrigin: stale-while-revalidate and stale-if-error (RFC 5861)', () => {
  it('within stale-while-revalidate the stale page is served at once and refreshed in the background', async () => {
    const { app, seen } = await originApp([{ headers: { 'cache-control': 'max-age=1, stale-while-revalidate=60' } }])
    vi.useFakeTimers({ toFake: ['Date'] })
    const first = await app.inject('/p/s')
    vi.setSystemTime(Date.now() + 2000)
    const stale = await app.inject('/p/s')
    expect(stale.body).toBe(first.body)
    expect(status(stale)).toContain('fwd=stale')
    await eventually(() => seen.length === 2)
  })
  it('within stale-if-error a 5xx from the origin is answered with the stale page; past it, the error goes through', async () => {
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=1, stale-if-error=60' }, body: 'good' }, { status: 503 }])
    vi.useFakeTimers({ toFake: ['Date'] })
    await app.inject('/p/e')
    vi.setSystemTime(Date.now() + 2000)
    const saved = await app.inject('/p/e')
    expect(saved.statusCode).toBe(200)
    expect(saved.body).toBe('good')
    vi.setSystemTime(Date.now() + 120_000)
    expect((await app.inject('/p/e')).statusCode).toBe(503)
  })
})

describe('followOrigin: CDN-Cache-Control (RFC 9213) and Connection (RFC 9111 §3.1)', () => {
  it('CDN-Cache-Control decides over Cache-Control', async () => {
    const { app } = await originApp([{ headers: { 'cache-control': 'no-store', 'cdn-cache-control': 'max-age=600' } }])
    await app.inject('/p/c')
    expect(status(await app.inject('/p/c'))).toContain('hit')
  })
  it('headers named in Connection are not replayed from the cache', async () => {
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=600', connection: 'x-a', 'x-a': '1', 'x-c': '3' } }])
    await app.inject('/p/k')
    const hit = await app.inject('/p/k')
    expect(status(hit)).toContain('hit')
    expect(hit.headers['x-a']).toBeUndefined()
    expect(hit.headers['x-c']).toBe('3')
  })
})

describe('followOrigin: byte ranges from a stored complete 200 (RFC 9110 §14)', () => {
  it('answers one range with 206 and Content-Range, an unsatisfiable one with 416', async () => {
    const { app } = await originApp([{ headers: { 'cache-control': 'max-age=600' }, body: '0123456789' }])
    await app.inject('/p/g')
    const part = await app.inject({ url: '/p/g', headers: { range: 'bytes=2-4' } })
    expect(part.statusCode).toBe(206)
    expect(part.body).toBe('234')
    expect(part.headers['content-range']).toBe('bytes 2-4/10')
    expect((await app.inject({ url: '/p/g', headers: { range: 'bytes=20-' } })).statusCode).toBe(416)
  })
})
