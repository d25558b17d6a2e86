import { createServer, type Server, type Socket } from 'node:net'
import nock from 'nock'
import { InMemStorageProvider } from 'unleash-client'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { UnleashFlagSource, type UnleashFlagSourceOptions } from '../../src/flags/unleash-source.js'
import { fakeUnleash, featuresFor } from '../helpers/unleash-nock.js'

const logged: Array<{ code?: string; msg: string }> = []
const logger = {
  warn: (obj: object, msg: string) => logged.push({ ...(obj as { code?: string }), msg }),
  error: (obj: object, msg: string) => logged.push({ ...(obj as { code?: string }), msg }),
}
const sources: UnleashFlagSource[] = []
const open = (options: Partial<UnleashFlagSourceOptions> & { url: string }) => {
  const source = new UnleashFlagSource({ token: 'default:development.t', refreshIntervalMs: 20, fetchTimeoutMs: 1000, storageProvider: 'memory', logger, ...options })
  sources.push(source)
  return source
}

beforeAll(() => nock.disableNetConnect())
afterEach(async () => {
  for (const s of sources.splice(0)) await s.close()
  logged.length = 0
})
afterAll(() => {
  nock.cleanAll()
  nock.enableNetConnect()
})

describe('UnleashFlagSource', () => {
  it('fetches only its prefix with the backend token and reads the flags', async () => {
    const fake = fakeUnleash()
    fake.setRoutes({ 'products.list': { mode: 'canary', percent: 10 } })
    const source = open({ url: fake.state.url })
    const status = await source.start()
    expect(status).toEqual({ synchronized: true, origin: 'backend', routes: 1 })
    expect(source.state('products.list')).toMatchObject({ mode: 'canary', percent: 10, groupId: 'cutover.products.list' })
    expect(fake.state.tokens[0]).toBe('default:development.t')
    fake.done()
  })

  it('start() reports the server as the origin once it answered, though a bootstrap was given', async () => {
    const fake = fakeUnleash()
    fake.setRoutes({ r: { mode: 'on' } })
    const source = open({ url: fake.state.url, bootstrap: featuresFor({ r: { mode: 'canary', percent: 40 } }) as never })
    expect(await source.start()).toEqual({ synchronized: true, origin: 'backend', routes: 1 })
    expect(source.state('r').mode).toBe('on')
    fake.done()
  })

  it('start() refused by the server (401) says so: not synchronized, the bootstrap in use, the fetch fault named', async () => {
    const fake = fakeUnleash()
    fake.state.status = 401
    const source = open({ url: fake.state.url, bootstrap: featuresFor({ r: { mode: 'canary', percent: 40 } }) as never })
    const status = await source.start({ timeoutMs: 2000 })
    expect(status).toEqual({ synchronized: false, origin: 'bootstrap', routes: 1, fault: { code: 'CUTOVER_ERR_FLAGS_UNLEASH_FETCH', message: expect.stringMatching(/401/) } })
    fake.done()
  })

  it('start() names a flag that breaks the layout, though the server answered', async () => {
    const fake = fakeUnleash()
    const features = featuresFor({ a: { mode: 'on' } }) as Array<Record<string, unknown>>
    features.push({ ...features[0], name: 'cutover.bad id{' })
    fake.state.payload = { version: 2, features }
    const source = open({ url: fake.state.url })
    const status = await source.start()
    expect(status).toMatchObject({ synchronized: true, origin: 'backend', routes: 1, fault: { code: 'CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD' } })
    expect(status.fault?.message).toMatch(/"cutover\.bad id\{"/)
    expect(source.state('a').mode).toBe('on')
    fake.done()
  })

  it('keeps the last good state through 401 answers, logged and counted', async () => {
    const fake = fakeUnleash()
    fake.setRoutes({ r: { mode: 'on' } })
    const source = open({ url: fake.state.url })
    await source.start()
    fake.state.status = 401
    await fake.fetches(1)
    await new Promise((r) => setTimeout(r, 20))
    expect(source.state('r').mode).toBe('on')
    expect(source.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_FETCH).toBeGreaterThan(0)
    expect(logged.some((l) => l.code === 'CUTOVER_ERR_FLAGS_UNLEASH_FETCH' && /401/.test(l.msg))).toBe(true)
    fake.done()
  })

  it('after a 401 starts a fresh client later, so a fixed token takes effect without a restart', async () => {
    const fake = fakeUnleash()
    fake.setRoutes({ r: { mode: 'canary', percent: 5 } })
    const source = open({ url: fake.state.url, authRetryMs: 50, bootstrap: featuresFor({ r: { mode: 'off' } }) as never })
    await source.start()
    fake.state.status = 401
    await fake.fetches(1)
    // unleash-client has stopped polling; the state holds (not the bootstrap's).
    expect(source.state('r')).toMatchObject({ mode: 'canary', percent: 5 })
    fake.setRoutes({ r: { mode: 'on' } })
    const until = Date.now() + 5000
    while (source.state('r').mode !== 'on' && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
    expect(source.state('r').mode).toBe('on')
    expect(source.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_FETCH).toBeGreaterThan(0)
    fake.done()
  })

  it('keeps the last good state through 5xx answers, logged and counted', async () => {
    const fake = fakeUnleash()
    fake.setRoutes({ r: { mode: 'shadow', shadowRate: 0.3 } })
    const source = open({ url: fake.state.url })
    await source.start()
    fake.state.status = 503
    // unleash-client retries a 5xx twice (1s apart) before it reports it.
    const until = Date.now() + 8000
    while (!source.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_FETCH && Date.now() < until) await new Promise((r) => setTimeout(r, 20))
    expect(source.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_FETCH).toBeGreaterThan(0)
    expect(source.state('r')).toMatchObject({ mode: 'shadow', shadowRate: 0.3 })
    fake.done()
  })

  it('keeps a malformed flag at its last good state while the others update', async () => {
    const fake = fakeUnleash()
    fake.setRoutes({ a: { mode: 'canary', percent: 20 }, b: { mode: 'off' } })
    const source = open({ url: fake.state.url })
    await source.start()
    const features = featuresFor({ b: { mode: 'on' } }) as Array<Record<string, unknown>>
    features.push({ name: 'cutover.a', enabled: true, strategies: [{ name: 'flexibleRollout', parameters: { rollout: 'lots' }, constraints: [] }] })
    fake.state.payload = { version: 2, features }
    await fake.fetches(2)
    expect(source.state('b').mode).toBe('on')
    expect(source.state('a')).toMatchObject({ mode: 'canary', percent: 20 })
    expect(source.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD).toBeGreaterThan(0)
    expect(logged.some((l) => l.code === 'CUTOVER_ERR_FLAGS_UNLEASH_PAYLOAD' && /"cutover\.a"/.test(l.msg))).toBe(true)
    fake.done()
  })

  describe('server unreachable or slow at start', () => {
    let server: Server
    let port = 0
    let connections = 0
    const sockets = new Set<Socket>()
    beforeAll(async () => {
      nock.enableNetConnect('127.0.0.1')
      // Answers each request 150ms late with a body that is not JSON.
      server = createServer((socket) => {
        connections++
        sockets.add(socket)
        socket.on('error', () => {})
        socket.on('data', () =>
          setTimeout(() => socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 8\r\n\r\nnot json'), 150),
        )
      })
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      port = (server.address() as { port: number }).port
    })
    afterAll(async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise((r) => server.close(r))
      nock.disableNetConnect()
    })

    it('start() returns within its bounded wait with every route off when nothing listens', async () => {
      const closed = createServer()
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r))
      const deadPort = (closed.address() as { port: number }).port
      await new Promise((r) => closed.close(r))
      const source = open({ url: `http://127.0.0.1:${deadPort}/api` })
      const began = Date.now()
      const status = await source.start({ timeoutMs: 150 })
      expect(Date.now() - began).toBeLessThan(1000)
      expect(status).toEqual({
        synchronized: false,
        origin: 'none',
        routes: 0,
        fault: { code: expect.stringMatching(/^CUTOVER_ERR_FLAGS_(UNLEASH_FETCH|START_TIMEOUT)$/), message: expect.any(String) },
      })
      expect(source.state('r').mode).toBe('off')
      expect(source.stats().faults.CUTOVER_ERR_FLAGS_START_TIMEOUT).toBe(1)
    })

    it('serves the bootstrap while the server fails', async () => {
      const source = open({ url: `http://127.0.0.1:${port}/api`, bootstrap: featuresFor({ r: { mode: 'canary', percent: 40 } }) as never })
      const status = await source.start({ timeoutMs: 50 })
      expect(status.origin).toBe('bootstrap')
      expect(source.state('r')).toMatchObject({ mode: 'canary', percent: 40 })
    })

    it('reports the backup as the origin when the backup is what it serves (an empty bootstrap was reported as the origin)', async () => {
      const backup = new InMemStorageProvider<never>()
      await backup.set('cutover', { version: 2, features: featuresFor({ r: { mode: 'on' } }) } as never)
      const source = open({ url: `http://127.0.0.1:${port}/api`, storageProvider: backup, bootstrap: [] })
      const status = await source.start({ timeoutMs: 50 })
      expect(status).toMatchObject({ synchronized: false, origin: 'backup', routes: 1, fault: { code: 'CUTOVER_ERR_FLAGS_START_TIMEOUT' } })
      expect(status.fault?.message).toMatch(/serving the backup state/)
      expect(source.state('r').mode).toBe('on')
    })

    it('starts from the backup of the last payload (a restart while Unleash is down)', async () => {
      const backup = new InMemStorageProvider<never>()
      await backup.set('cutover', { version: 2, features: featuresFor({ r: { mode: 'on' } }) } as never)
      const source = open({ url: `http://127.0.0.1:${port}/api`, storageProvider: backup })
      const status = await source.start({ timeoutMs: 50 })
      expect(status.origin).toBe('backup')
      expect(source.state('r').mode).toBe('on')
    })

    it('close() during the start-up fetch waits for it: the late failure cannot crash the process', async () => {
      // unleash-client's destroy() drops its error listeners; a start-up fetch
      // that fails after that throws an uncaught "invalid json" error.
      const uncaught: Error[] = []
      const onUncaught = (err: Error) => uncaught.push(err)
      process.on('uncaughtException', onUncaught)
      try {
        const source = open({ url: `http://127.0.0.1:${port}/api`, refreshIntervalMs: 30 })
        sources.pop()
        const before = connections
        await source.start({ timeoutMs: 20 })
        await source.close()
        expect(source.stats().faults.CUTOVER_ERR_FLAGS_UNLEASH_FETCH).toBeGreaterThan(0)
        await new Promise((r) => setTimeout(r, 250))
        expect(uncaught).toEqual([])
        expect(connections - before).toBe(1)
      } finally {
        process.off('uncaughtException', onUncaught)
      }
    })

    it('close() while a later poll is in flight: its failure is absorbed, not thrown', async () => {
      const uncaught: unknown[] = []
      const onError = (err: unknown) => uncaught.push(err)
      process.on('uncaughtException', onError)
      process.on('unhandledRejection', onError)
      try {
        const source = open({ url: `http://127.0.0.1:${port}/api`, refreshIntervalMs: 10 })
        sources.pop()
        const before = connections
        await source.start({ timeoutMs: 1000 })
        const until = Date.now() + 3000
        while (connections - before < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 2))
        expect(connections - before).toBe(2)
        await source.close()
        await new Promise((r) => setTimeout(r, 300))
        expect(uncaught).toEqual([])
      } finally {
        process.off('uncaughtException', onError)
        process.off('unhandledRejection', onError)
      }
    })
  })
})
