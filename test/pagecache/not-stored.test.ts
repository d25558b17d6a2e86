import fastifyCookie from '@fastify/cookie'
import fastifySession from '@fastify/session'
import Fastify from 'fastify'
import { describe, expect, it } from 'vitest'
import cutover from '../../src/plugin.js'
import { NOTHING_STORED_AFTER } from '../../src/pagecache/route-stats.js'

/** A logger that keeps its warnings. */
function warnings(): { lines: Array<{ msg: string; obj: unknown }>; logger: object } {
  const lines: Array<{ msg: string; obj: unknown }> = []
  const noop = (): void => {}
  const logger = {
    level: 'warn',
    warn: (obj: unknown, msg?: string) => lines.push({ obj, msg: msg ?? String(obj) }),
    info: noop, debug: noop, trace: noop, error: noop, fatal: noop, silent: noop,
    child() {
      return logger
    },
  }
  return { lines, logger }
}

describe('why nothing is stored', () => {
  it('counts every request that was not stored by its reason, readable in app.cutover.stats()', async () => {
    const app = Fastify({ logger: false })
    await app.register(cutover)
    app.get('/p', { config: { cutover: { id: 'p', ttl: 60 } } }, async (_req, reply) => reply.header('set-cookie', 'a=1').send({ ok: true }))
    await app.inject({ url: '/p', headers: { cookie: 'sid=1' } })
    await app.inject({ url: '/p', headers: { cookie: 'sid=2' } })
    await app.inject({ url: '/p' })
    expect(app.cutover.stats().p?.notStored).toEqual({ cookie: 2, 'set-cookie': 1 })
    await app.close()
  })

  it(`logs once, with the reasons and what to do, when a route has stored nothing after ${NOTHING_STORED_AFTER} requests`, async () => {
    const { lines, logger } = warnings()
    const app = Fastify({ loggerInstance: logger as never })
    await app.register(cutover)
    app.get('/p', { config: { cutover: { id: 'p', ttl: 60 } } }, async () => ({ ok: true }))
    for (let i = 0; i < NOTHING_STORED_AFTER * 2; i++) await app.inject({ url: '/p', headers: { cookie: `sid=${i}` } })
    const said = lines.filter((l) => l.msg.includes('has stored no page'))
    expect(said).toHaveLength(1)
    expect(said[0]?.msg).toContain(`route "p" has stored no page in ${NOTHING_STORED_AFTER} requests (cookie ${NOTHING_STORED_AFTER})`)
    expect(said[0]?.msg).toContain('sessionCookies')
    await app.close()
  })

  it('says nothing for a route that stores pages', async () => {
    const { lines, logger } = warnings()
    const app = Fastify({ loggerInstance: logger as never })
    await app.register(cutover)
    app.get('/p', { config: { cutover: { id: 'p', ttl: 60 } } }, async () => ({ ok: true }))
    await app.inject({ url: '/p' })
    for (let i = 0; i < NOTHING_STORED_AFTER * 2; i++) await app.inject({ url: '/p', headers: { cookie: `sid=${i}` } })
    expect(lines.filter((l) => l.msg.includes('has stored no page'))).toEqual([])
    await app.close()
  })

  it('warns at start-up when the app has sessions and no sessionCookies option, and not once they are declared', async () => {
    for (const sessionCookies of [undefined, ['sessionId']]) {
      const { lines, logger } = warnings()
      const app = Fastify({ loggerInstance: logger as never })
      await app.register(fastifyCookie)
      await app.register(fastifySession, { secret: 'a secret of at least thirty-two characters', cookie: { secure: false } })
      await app.register(cutover, sessionCookies ? { sessionCookies } : {})
      app.get('/p', { config: { cutover: { id: 'p', ttl: 60 } } }, async () => ({ ok: true }))
      await app.ready()
      const said = lines.filter((l) => l.msg.includes('no sessionCookies option'))
      expect(said).toHaveLength(sessionCookies ? 0 : 1)
      await app.close()
    }
  })

  it('refuses a sessionCookies option that is not a list of cookie names', async () => {
    for (const bad of ['sessionId', [''], ['a b'], ['a;b'], [1]]) {
      const app = Fastify({ logger: false })
      await expect(app.register(cutover, { sessionCookies: bad as never }).ready()).rejects.toMatchObject({ code: 'CUTOVER_ERR_OPTIONS_INVALID' })
    }
  })
})
