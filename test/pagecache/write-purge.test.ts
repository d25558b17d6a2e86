import { describe, expect, it } from 'vitest'
import { appWith } from '../helpers/app.js'

/** A page with a stale window, a write route that purges it, and a purge made outside any request. */
async function app() {
  const a = await appWith()
  let version = 1
  a.get('/p', { config: { cutover: { id: 'p', ttl: 60, stale: 300, tags: ['p'] } } }, async () => ({ version }))
  a.post<{ Body: { hard?: boolean } }>('/p', async (request) => {
    version++
    await a.cutover.invalidate(request.body?.hard === undefined ? { tags: ['p'] } : { tags: ['p'], hard: request.body.hard })
    return { version }
  })
  a.get('/purge-from-get', async () => {
    version++
    await a.cutover.invalidate({ tags: ['p'] })
    return { version }
  })
  await a.ready()
  return { a, bump: () => version++ }
}

describe('read-your-writes: purges from write routes', () => {
  it('a purge made while handling a POST is hard by default: the next read renders the new data', async () => {
    const { a } = await app()
    expect((await a.inject('/p')).json()).toEqual({ version: 1 })
    await a.inject({ method: 'POST', url: '/p', payload: {} })
    const next = await a.inject('/p')
    expect(next.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect(next.json()).toEqual({ version: 2 })
    await a.close()
  })

  it('a write route may still ask for a soft purge, and gets the stale page served while it refreshes', async () => {
    const { a } = await app()
    await a.inject('/p')
    await a.inject({ method: 'POST', url: '/p', payload: { hard: false } })
    const next = await a.inject('/p')
    expect(next.headers['cache-status']).toBe('cutover; fwd=stale; ttl=0')
    expect(next.json()).toEqual({ version: 1 })
    await a.close()
  })

  it('outside a write request the default stays soft (a job, a script, a GET)', async () => {
    const { a, bump } = await app()
    await a.inject('/p')
    await a.inject('/purge-from-get')
    expect((await a.inject('/p')).headers['cache-status']).toMatch(/^cutover; fwd=stale/)
    bump()
    await a.cutover.invalidate({ tags: ['p'] })
    expect((await a.inject('/p')).headers['cache-status']).toMatch(/^cutover; fwd=stale/)
    await a.close()
  })
})

describe('app.cutover.clear()', () => {
  it('drops every page of every route (memory store), and resolves on an app with no cached route', async () => {
    const { a, bump } = await app()
    await a.inject('/p')
    bump()
    expect((await a.inject('/p')).headers['cache-status']).toMatch(/^cutover; hit/)
    await a.cutover.clear()
    const next = await a.inject('/p')
    expect(next.headers['cache-status']).toBe('cutover; fwd=miss; stored')
    expect(next.json()).toEqual({ version: 2 })
    await a.close()
    const empty = await appWith()
    await empty.ready()
    await expect(empty.cutover.clear()).resolves.toBeUndefined()
    await empty.close()
  })
})
