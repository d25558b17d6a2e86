import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify'
import { describe, expect, it, vi } from 'vitest'
import type { FlightResult } from '../../src/pagecache/coalesce.js'
import type { GuardedStore } from '../../src/pagecache/guarded-store.js'
import { PageStates } from '../../src/pagecache/page-state.js'
import { resolveRouteConfig } from '../../src/pagecache/route-config.js'
import { RouteStatsTable } from '../../src/pagecache/route-stats.js'
import { StorePath } from '../../src/pagecache/store-path.js'

const log = { warn: vi.fn() } as unknown as FastifyBaseLogger

describe('StorePath', () => {
  it('a store path that throws settles the render\'s flight and releases its lease at once, and the response goes out', async () => {
    const stats = new RouteStatsTable()
    const states = new PageStates(stats)
    const releaseLease = vi.fn(async () => {})
    const guard = { releaseLease, set: vi.fn(async () => {}), tagStates: vi.fn(async () => ({})) } as unknown as GuardedStore
    const path = new StorePath({ guard, stats, states, passTtlMs: 10_000, log, sessionCookies: new Set() })
    const route = resolveRouteConfig('(GET /p)', { id: 'p', ttl: 60 })
    const request = { headers: {}, url: '/p' } as unknown as FastifyRequest
    const headers: Record<string, unknown> = {}
    const reply = {
      statusCode: 200,
      getHeaders: () => {
        throw new Error('headers unreadable')
      },
      header: (name: string, value: unknown) => void (headers[name] = value),
      getHeader: (name: string) => headers[name],
    } as unknown as FastifyReply
    const settled: FlightResult[] = []
    states.render(request, {
      phase: 'miss',
      key: { route: 'p', hash: 'ab' },
      started: 0,
      tagVersions: {},
      settle: (r) => settled.push(r),
      lease: 'token-1',
    })

    const payload = await path.onSend({ route, request, reply }, 'body')

    expect(payload).toBe('body')
    expect(settled).toEqual([{ kind: 'none', reason: 'store-error' }])
    expect(releaseLease).toHaveBeenCalledTimes(1)
    expect(releaseLease).toHaveBeenCalledWith({ route: 'p', hash: 'ab' }, 'token-1')
    expect(stats.of('p').errors).toBe(1)
    expect(headers['cache-status']).toBe('cutover; fwd=miss; detail=store-error')
  })
})
