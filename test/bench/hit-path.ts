// CPU cost of a cache hit in this process, without sockets:
// `npx tsx test/bench/hit-path.ts` (needs Redis for the Redis cases, REDIS_URL).
// Each case answers the same 10 KB JSON body through `app.inject`; the figure
// is process CPU time (user + system) per request, which, unlike req/s, does
// not count time spent waiting for a core, so it compares two versions of a
// code path on a busy machine. Rounds interleave the cases; each figure is the
// median over rounds with a 95 % interval, and each case's extra cost over the
// constant-body route in the same round.
import Fastify, { type FastifyInstance } from 'fastify'
import { Redis } from 'ioredis'
import cutover from '../../src/plugin.js'
import { REDIS_URL, uniqueSuffix } from '../helpers/services.js'
import { medianInterval } from './stats.js'

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const items = Array.from({ length: 64 }, (_, i) => ({ id: i, name: `product ${i}`, price: 1000 + i, tags: ['a', 'b'] }))
const body = { items, padding: '' }
body.padding = 'x'.repeat(Math.max(0, 10 * 1024 - JSON.stringify(body).length))
const serialized = JSON.stringify(body)
const BROWSER = { 'accept-encoding': 'br, gzip' }

const redis = new Redis(REDIS_URL)
const prefix = `cutover-bench-hit-${uniqueSuffix()}`

async function appWith(options: Parameters<typeof cutover>[1] | undefined): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  if (options === undefined) {
    app.get('/page', async (_request, reply) => {
      reply.header('content-type', 'application/json; charset=utf-8')
      return serialized
    })
  } else {
    await app.register(cutover, options)
    app.get('/page', { config: { cutover: { id: 'bench', ttl: 3600 } } }, async () => body)
  }
  await app.ready()
  return app
}

const cases: Array<{ name: string; app: FastifyInstance; headers?: Record<string, string> }> = [
  { name: 'constant body (baseline)', app: await appWith(undefined) },
  { name: 'memory hit', app: await appWith({}) },
  { name: 'tiered hit', app: await appWith({ redis, prefix: `${prefix}-t`, memory: {} }) },
  { name: 'tiered hit, accept-encoding br', app: await appWith({ redis, prefix: `${prefix}-t2`, memory: {} }), headers: BROWSER },
  { name: 'redis hit', app: await appWith({ redis, prefix: `${prefix}-r` }) },
  { name: 'redis hit, accept-encoding br', app: await appWith({ redis, prefix: `${prefix}-r2` }), headers: BROWSER },
]

async function cpuUsPerRequest(app: FastifyInstance, headers: Record<string, string> | undefined, n: number): Promise<number> {
  const started = process.cpuUsage()
  for (let i = 0; i < n; i++) {
    const res = await app.inject({ method: 'GET', url: '/page', ...(headers ? { headers } : {}) })
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
  }
  const used = process.cpuUsage(started)
  return (used.user + used.system) / n
}

const medianOf = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
try {
  for (const c of cases) {
    const res = await c.app.inject({ method: 'GET', url: '/page', ...(c.headers ? { headers: c.headers } : {}) })
    if (res.statusCode !== 200) throw new Error(`${c.name}: status ${res.statusCode}`)
    await cpuUsPerRequest(c.app, c.headers, REQUESTS / 2) // stored, then warm
  }
  const rounds = cases.map(() => [] as number[])
  for (let r = 0; r < ROUNDS; r++) for (const [i, c] of cases.entries()) rounds[i]!.push(await cpuUsPerRequest(c.app, c.headers, REQUESTS))
  console.log(`CPU µs per request through app.inject, ${REQUESTS} requests x ${ROUNDS} interleaved rounds, median [95% interval]`)
  for (const [i, c] of cases.entries()) {
    const us = rounds[i]!
    const extra = us.map((u, r) => u - rounds[0]![r]!).sort((a, b) => a - b)
    const iv = medianInterval([...us].sort((a, b) => a - b))
    const ivExtra = medianInterval(extra)
    const fmt = (iv2: [number, number] | undefined): string => (iv2 ? `[${iv2[0].toFixed(1)}..${iv2[1].toFixed(1)}]` : '')
    console.log(`${c.name.padEnd(34)} ${medianOf(us).toFixed(1).padStart(7)} µs ${fmt(iv)}${i === 0 ? '' : `   +${medianOf(extra).toFixed(1)} µs over the baseline ${fmt(ivExtra)}`}`)
  }
} finally {
  for (const c of cases) await c.app.close()
  const keys = await redis.keys(`${prefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  redis.disconnect()
}
