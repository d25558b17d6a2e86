import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

/** A page that shows whoever the credentials say: the classic leak if it were shared. */
function personalRoutes(app: FastifyInstance, user?: (req: { headers: Record<string, unknown> }) => string | undefined): void {
  let renders = 0
  app.get(
    '/account',
    { config: { cutover: { id: 'account', ttl: 60, ...(user ? { user } : {}) } } },
    async (req) => ({ who: req.headers.authorization ?? req.headers.cookie ?? 'anonymous', renders: ++renders }),
  )
}

const userOf = (req: { headers: Record<string, unknown> }): string | undefined => {
  const auth = req.headers.authorization
  return typeof auth === 'string' ? auth : undefined
}

describe.each(STORES)('credentials ($name)', (store) => {
  const build = appsFor(store)

  it.each([
    ['authorization', { authorization: 'Bearer alice-token' }],
    ['cookie', { cookie: 'session=alice' }],
  ])('a %s request is not written to the shared cache (its personal page would be served to the next anonymous client)', async (_name, credentials) => {
    const app = await build((a) => personalRoutes(a))
    const personal = await app.inject({ url: '/account', headers: credentials })
    expect(personal.json().who).not.toBe('anonymous')
    expect(statusOf(personal)).toMatch(/fwd=bypass; detail=(authorization|cookie)/)

    const anonymous = await app.inject('/account')
    expect(anonymous.json()).toEqual({ who: 'anonymous', renders: 2 })
    expect(statusOf(anonymous)).toContain('fwd=miss; stored')
  })

  it.each([
    ['authorization', { authorization: 'Bearer alice-token' }],
    ['cookie', { cookie: 'session=alice' }],
  ])('a %s request is not served the shared page (a logged-in user would see the anonymous page and the handler would be skipped)', async (_name, credentials) => {
    const app = await build((a) => personalRoutes(a))
    const anonymous = await app.inject('/account')
    expect(statusOf(anonymous)).toContain('stored')

    const personal = await app.inject({ url: '/account', headers: credentials })
    expect(personal.json().renders).toBe(2)
    expect(personal.json().who).toBe(Object.values(credentials)[0])
    expect(statusOf(personal)).toContain('fwd=bypass')
  })

  it('an empty Cookie header still counts as credentials (no "blank cookie" way around the rule)', async () => {
    const app = await build((a) => personalRoutes(a))
    const res = await app.inject({ url: '/account', headers: { cookie: '' } })
    expect(statusOf(res)).toContain('detail=cookie')
  })

  it('a route keyed on the user caches per user: each user gets their own page back, never another user\'s', async () => {
    const app = await build((a) => personalRoutes(a, userOf))
    const alice1 = await app.inject({ url: '/account', headers: { authorization: 'alice' } })
    const bob1 = await app.inject({ url: '/account', headers: { authorization: 'bob' } })
    const alice2 = await app.inject({ url: '/account', headers: { authorization: 'alice' } })
    const bob2 = await app.inject({ url: '/account', headers: { authorization: 'bob' } })

    expect(statusOf(alice1)).toContain('stored')
    expect(statusOf(bob1)).toContain('stored')
    expect(statusOf(alice2)).toContain('hit')
    expect(statusOf(bob2)).toContain('hit')
    expect(alice2.json()).toEqual(alice1.json())
    expect(bob2.json()).toEqual(bob1.json())
    expect(alice2.json().who).toBe('alice')
    expect(bob2.json().who).toBe('bob')
  })

  it('a route keyed on the user bypasses a request whose user cannot be told (no shared "nobody" page from a credentialed request)', async () => {
    const app = await build((a) => personalRoutes(a, userOf))
    const res = await app.inject({ url: '/account', headers: { cookie: 'session=alice' } })
    expect(statusOf(res)).toContain('detail=no-user')
    const again = await app.inject({ url: '/account', headers: { cookie: 'session=alice' } })
    expect(again.json().renders).toBe(2)
  })
})
