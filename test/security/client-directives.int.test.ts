import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

function counted(app: FastifyInstance): void {
  let renders = 0
  app.get('/p', { config: { cutover: { id: 'p', ttl: 60 } } }, async (req) => ({ renders: ++renders, body: req.body ?? null }))
}

const DIRECTIVES: Array<Record<string, string>> = [
  { 'cache-control': 'no-store' },
  { 'cache-control': 'no-cache' },
  { 'cache-control': 'max-age=0' },
  { 'cache-control': 'no-store, no-cache, max-age=0, must-revalidate' },
  { pragma: 'no-cache' },
]

describe.each(STORES)('client cache directives ($name)', (store) => {
  const build = appsFor(store)

  it.each(DIRECTIVES)('a client sending %o on a cold page cannot switch caching off for everyone', async (headers) => {
    const app = await build(counted)
    const first = await app.inject({ url: '/p', headers })
    expect(statusOf(first)).toContain('stored')
    const next = await app.inject('/p')
    expect(statusOf(next)).toContain('hit')
    expect(next.json().renders).toBe(1)
  })

  it.each(DIRECTIVES)('a client sending %o cannot force a render past a cached page (no origin load on demand)', async (headers) => {
    const app = await build(counted)
    await app.inject('/p')
    const res = await app.inject({ url: '/p', headers })
    expect(statusOf(res)).toContain('hit')
    expect(res.json().renders).toBe(1)
  })

  it('a GET with a body (fat GET) cannot put the body into the stored page', async () => {
    const app = await build(counted)
    const fat = await app.inject({ method: 'GET', url: '/p', headers: { 'content-type': 'application/json' }, payload: '{"evil":true}' })
    expect(fat.body).not.toContain('evil')
    const victim = await app.inject('/p')
    expect(victim.body).not.toContain('evil')
    expect(statusOf(victim)).toContain('hit')
  })
})
