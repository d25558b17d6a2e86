import type { FastifyInstance, FastifyRequest } from 'fastify'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

// A cookie-session app: `sid` is the session cookie, declared in
// `sessionCookies`; the session store maps it to a numeric user id. Like
// @fastify/session's defaults, every response sets the cookie again (rolling).
const SESSIONS: Record<string, number> = { 'alice-sid': 1, 'bob-sid': 2 }
const NAMES: Record<number, string> = { 1: 'alice', 2: 'bob' }

function sidOf(request: FastifyRequest): string | undefined {
  const match = /(?:^|;\s*)sid=([^;]*)/.exec(String(request.headers.cookie ?? ''))
  return match?.[1]
}
const identify = (request: FastifyRequest): number | undefined => SESSIONS[sidOf(request) ?? '']
const PLUGIN = { sessionCookies: ['sid'], identify }

function sessionApp(extraCookie?: string) {
  return (app: FastifyInstance): void => {
    let renders = 0
    app.addHook('onSend', async (request, reply) => {
      // The session plugin's rolling cookie, on every response, for whoever asked.
      const sid = sidOf(request) ?? `new-${Math.random().toString(36).slice(2)}`
      reply.header('set-cookie', [`sid=${sid}; Path=/; HttpOnly`, ...(extraCookie ? [extraCookie] : [])])
    })
    app.get('/news', { config: { cutover: { id: 'news', ttl: 60 } } }, async () => ({ news: 'same for all', renders: ++renders }))
    app.get('/board', { config: { cutover: { id: 'board', ttl: 60, audience: 'authenticated' } } }, async (request, reply) => {
      if (identify(request) === undefined) return reply.code(401).send({ error: 'sign in' })
      return { board: 'members only', renders: ++renders }
    })
    app.get('/me', { config: { cutover: { id: 'me', ttl: 60, audience: 'user' } } }, async (request) => ({ me: NAMES[identify(request) ?? 0] ?? 'nobody', renders: ++renders }))
  }
}

const setCookieOf = (res: { headers: Record<string, unknown> }): string => String(res.headers['set-cookie'] ?? '')

describe.each(STORES)('session cookies and audiences ($name)', (store) => {
  const build = appsFor(store)

  it('a public page rendered for a session is stored without its Set-Cookie: the next client is never handed that session', async () => {
    const app = await build(sessionApp(), {}, PLUGIN)
    const alice = await app.inject({ url: '/news', headers: { cookie: 'sid=alice-sid' } })
    expect(statusOf(alice)).toBe('cutover; fwd=miss; stored')
    expect(setCookieOf(alice)).toContain('sid=alice-sid')
    const stranger = await app.inject({ url: '/news' })
    expect(statusOf(stranger)).toMatch(/^cutover; hit/)
    expect(setCookieOf(stranger)).not.toContain('alice-sid')
    expect(stranger.json().renders).toBe(1)
  })

  it.each([
    ['an undeclared cookie beside the session', 'sid=alice-sid; theme=dark'],
    ['an empty Cookie header', ''],
    ['the session name in another case (cookie names are case-sensitive)', 'SID=alice-sid'],
    ['a nameless cookie', '=alice-sid'],
    ['a cookie pair with a control character (a tab)', 'sid=alice\tsid'],
  ])('%s still makes a request personal on a public route', async (_what, cookie) => {
    const app = await build(sessionApp(), {}, PLUGIN)
    const res = await app.inject({ url: '/news', headers: { cookie } })
    expect(statusOf(res)).toBe('cutover; fwd=bypass; detail=cookie')
    expect(statusOf(await app.inject({ url: '/news' }))).toBe('cutover; fwd=miss; stored')
  })

  it.each([
    ['a cookie other than the session', 'csrf=alice-token; Path=/'],
    ['a nameless Set-Cookie', 'alice-token'],
    ['the session name in another case', 'SID=alice; Path=/'],
  ])('a response setting %s is not stored at all', async (_what, extra) => {
    const app = await build(sessionApp(extra), {}, PLUGIN)
    const first = await app.inject({ url: '/news', headers: { cookie: 'sid=alice-sid' } })
    expect(statusOf(first)).toBe('cutover; fwd=miss; detail=set-cookie')
    const next = await app.inject({ url: '/news' })
    expect(statusOf(next)).not.toMatch(/hit/)
    expect(next.json().renders).toBe(2)
  })

  it('without sessionCookies nothing changes: a session request bypasses and a Set-Cookie response is not stored', async () => {
    const app = await build(sessionApp(), {}, { identify })
    expect(statusOf(await app.inject({ url: '/news', headers: { cookie: 'sid=alice-sid' } }))).toBe('cutover; fwd=bypass; detail=cookie')
    expect(statusOf(await app.inject({ url: '/news' }))).toBe('cutover; fwd=miss; detail=set-cookie')
  })

  it('an authenticated page is shared by signed-in users only: no one signed out is served it, and it goes out private', async () => {
    const app = await build(sessionApp(), {}, PLUGIN)
    const alice = await app.inject({ url: '/board', headers: { cookie: 'sid=alice-sid' } })
    expect(statusOf(alice)).toBe('cutover; fwd=miss; stored')
    const bob = await app.inject({ url: '/board', headers: { cookie: 'sid=bob-sid' } })
    expect(statusOf(bob)).toMatch(/^cutover; hit/)
    expect(setCookieOf(bob)).not.toContain('alice-sid')
    expect(bob.headers['cache-control']).toMatch(/^private/)
    expect(String(bob.headers.vary)).toMatch(/Cookie/)
    for (const headers of [{}, { cookie: 'sid=forged' }, { cookie: 'sid=' }, { authorization: 'Bearer alice-sid' }]) {
      const outsider = await app.inject({ url: '/board', headers })
      expect(outsider.statusCode).toBe(401)
      expect(statusOf(outsider)).toBe('cutover; fwd=bypass; detail=no-user')
      expect(outsider.body).not.toContain('members only')
    }
  })

  it('an authenticated page is not stored from, nor served to, a request with an undeclared cookie', async () => {
    const app = await build(sessionApp(), {}, PLUGIN)
    const res = await app.inject({ url: '/board', headers: { cookie: 'sid=alice-sid; beta=1' } })
    expect(statusOf(res)).toBe('cutover; fwd=bypass; detail=cookie')
  })

  it('per-user pages under rolling session cookies: 400 interleaved requests, each user only ever sees their own page and cookie', async () => {
    const app = await build(sessionApp(), {}, PLUGIN)
    const users = [['alice', 'alice-sid'], ['bob', 'bob-sid']] as const
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => users[i % 2]!).map(async ([name, sid]) => ({ name, sid, res: await app.inject({ url: '/me', headers: { cookie: `sid=${sid}` } }) })),
    )
    for (const { name, sid, res } of results) {
      expect(res.json().me).toBe(name)
      const other = sid === 'alice-sid' ? 'bob-sid' : 'alice-sid'
      expect(setCookieOf(res)).not.toContain(other)
      expect(res.headers['cache-control']).toMatch(/^private/)
    }
    expect(results.filter(({ res }) => /hit/.test(statusOf(res))).length).toBeGreaterThan(300)
    // Signed out: no page of anyone's.
    const nobody = await app.inject({ url: '/me' })
    expect(nobody.json().me).toBe('nobody')
    expect(statusOf(nobody)).toBe('cutover; fwd=bypass; detail=no-user')
  })
})
