import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import { appWith, eventually, sleep } from '../helpers/app.js'
import { freePort, ScratchRedis } from '../helpers/redis-server.js'

describe('Redis stopped mid-load', () => {
  let redisServer: ScratchRedis
  let client: Redis
  let app: FastifyInstance
  let renders = 0

  beforeAll(async () => {
    redisServer = new ScratchRedis(await freePort())
    await redisServer.start()
    client = new Redis(redisServer.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    client.on('error', () => {}) // the outage is the point of this test
    app = await appWith({ redis: client, prefix: 'fault', timeout: 50, breaker: { failures: 3, cooldown: 200 } })
    app.get('/p/:id', { config: { cutover: { id: 'p', ttl: 60 } } }, async (req) => {
      renders++
      return { id: (req.params as { id: string }).id }
    })
    await app.ready()
  })
  afterAll(async () => {
    await app?.close()
    client?.disconnect()
    await redisServer?.stop()
  })

  it('serves every request with a 2xx while Redis is gone, and caches again once it is back', async () => {
    const statuses: number[] = []
    const cacheStatuses = new Set<string>()
    let running = true
    const loadLoop = async (worker: number): Promise<void> => {
      for (let i = 0; running; i++) {
        const res = await app.inject(`/p/${(i + worker) % 5}`)
        statuses.push(res.statusCode)
        cacheStatuses.add(String(res.headers['cache-status']).split(';').slice(0, 2).join(';'))
        await sleep(1) // a client's pace: leaves the event loop time for Redis I/O
      }
    }
    const workers = Array.from({ length: 8 }, (_, w) => loadLoop(w))
    await sleep(300)
    expect(cacheStatuses).toContain('cutover; hit')
    await redisServer.stop()
    await sleep(700)
    const rendersDuringOutage = renders
    await redisServer.start()
    // Caching resumes by itself: a new page is stored again and then served as a hit.
    let probe = 0
    try {
      await eventually(async () => {
        const url = `/p/recovered-${probe++}`
        const a = await app.inject(url)
        const b = await app.inject(url)
        return a.headers['cache-status'] === 'cutover; fwd=miss; stored' && String(b.headers['cache-status']).startsWith('cutover; hit')
      }, 10_000)
    } finally {
      running = false
      await Promise.all(workers)
    }
    expect(statuses.length).toBeGreaterThan(100)
    expect(statuses.filter((s) => s < 200 || s > 299)).toEqual([])
    expect(cacheStatuses).toContain('cutover; fwd=bypass')
    expect(rendersDuringOutage).toBeGreaterThan(5)
  })
})
