import type { FastifyInstance } from 'fastify'
import { describe, expect, it } from 'vitest'
import { STORES, appsFor, statusOf } from './apps.js'

/** /item/:id answers with the status the test asks for on the first render, 200 afterwards. */
function flakyOrigin(statuses?: number[]) {
  return (app: FastifyInstance): void => {
    let renders = 0
    app.get<{ Params: { id: string }; Querystring: { fail?: string } }>(
      '/item/:id',
      { config: { cutover: { id: 'item', ttl: 60, ...(statuses ? { statuses } : {}) } } },
      async (req, reply) => {
        renders++
        const fail = Number(req.query.fail ?? 0)
        if (fail >= 500) throw Object.assign(new Error('database down'), { statusCode: fail })
        if (fail >= 400) return reply.code(fail).send({ error: 'nope', renders })
        return { id: req.params.id, renders }
      },
    )
  }
}

describe.each(STORES)('error statuses ($name)', (store) => {
  const build = appsFor(store)

  it.each([400, 403, 404, 410, 429])('a %i is not stored by default (one bad moment is not replayed to everyone)', async (status) => {
    const app = await build(flakyOrigin(), {}, { passTtl: 0 })
    const bad = await app.inject(`/item/1?fail=${status}`)
    expect(bad.statusCode).toBe(status)
    expect(statusOf(bad)).toContain(`detail=status-${status}`)
    const again = await app.inject(`/item/1?fail=${status}`)
    expect(again.json().renders).toBe(2)
    expect(statusOf(again)).not.toContain('hit')
  })

  it.each([500, 502, 503])('a %i thrown by the handler is not stored by default (an outage does not outlive itself)', async (status) => {
    const app = await build(flakyOrigin(), {}, { passTtl: 0 })
    const bad = await app.inject(`/item/1?fail=${status}`)
    expect(bad.statusCode).toBe(status)
    expect(statusOf(bad)).not.toContain('stored')
    const again = await app.inject(`/item/1?fail=${status}`)
    expect(statusOf(again)).not.toContain('hit')
  })

  it('an error page does not leave a marker that keeps the next good page from being stored', async () => {
    const app = await build(flakyOrigin())
    await app.inject('/item/1?fail=503')
    const good = await app.inject('/item/1')
    expect(good.statusCode).toBe(200)
    expect(statusOf(good)).toContain('stored')
  })

  it('a route that lists 404 and 410 in statuses stores them (and still not 500)', async () => {
    const app = await build(flakyOrigin([200, 404, 410]), {}, { passTtl: 0 })
    const gone = await app.inject('/item/1?fail=404')
    expect(statusOf(gone)).toContain('stored')
    const hit = await app.inject('/item/1?fail=404')
    expect(hit.statusCode).toBe(404)
    expect(statusOf(hit)).toContain('hit')
    expect(hit.json()).toEqual({ error: 'nope', renders: 1 })

    const down = await app.inject('/item/1?fail=500')
    expect(statusOf(down)).toContain('detail=status-500')
    expect(statusOf(await app.inject('/item/1?fail=500'))).not.toContain('hit')
  })
})
