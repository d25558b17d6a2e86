import nock from 'nock'
import type { FlagSource } from '../../src/flags/flag-source.js'
import { toRouteState, type RouteFlagInput } from '../../src/flags/route-state.js'
import { flagNameFor, killFlagNameFor, strategyFor } from '../../src/flags/unleash-layout.js'

/** Client-API features for route flags laid out as cutover documents them. */
export function featuresFor(routes: Record<string, RouteFlagInput>, kill = false, prefix = 'cutover.'): object[] {
  const features: object[] = Object.entries(routes).map(([routeId, input]) => {
    const name = flagNameFor(prefix, routeId)
    const state = toRouteState(routeId, input, name)
    return { name, type: 'release', enabled: state.mode !== 'off', strategies: [strategyFor(state)], variants: [] }
  })
  features.push({ name: killFlagNameFor(prefix), type: 'kill-switch', enabled: kill, strategies: [{ name: 'default', parameters: {}, constraints: [] }] })
  return features
}

/**
 * A fake Unleash client API on nock: serves whatever `payload` holds, counts
 * the fetches, and lets a test swap in errors.
 */
export function fakeUnleash(base = `http://unleash-${Math.random().toString(36).slice(2, 8)}.test`) {
  const state = {
    url: `${base}/api`,
    served: 0,
    status: 200,
    payload: { version: 2, features: [] as object[] } as unknown,
    tokens: [] as string[],
  }
  const scope = nock(base)
    .persist()
    .get('/api/client/features')
    .query(true)
    .reply(function () {
      state.served++
      state.tokens.push(String(this.req.headers.authorization))
      return state.status === 200 ? [200, state.payload as nock.Body] : [state.status, { error: 'x' }]
    })
  return {
    state,
    scope,
    setRoutes(routes: Record<string, RouteFlagInput>, kill = false) {
      state.status = 200
      state.payload = { version: 2, features: featuresFor(routes, kill) }
    },
    /** Resolves after `n` more fetches have been answered and handled. */
    async fetches(n = 2, timeoutMs = 5000): Promise<void> {
      const target = state.served + n
      const until = Date.now() + timeoutMs
      while (state.served < target) {
        if (Date.now() > until) throw new Error(`fake Unleash: no fetch within ${timeoutMs}ms (served ${state.served})`)
        await new Promise((r) => setTimeout(r, 5))
      }
      await new Promise((r) => setTimeout(r, 5))
    },
    async settle(_source: FlagSource): Promise<void> {
      await this.fetches(2)
    },
    done() {
      scope.persist(false)
      nock.removeInterceptor({ hostname: new URL(base).hostname, path: '/api/client/features', method: 'GET' })
    },
  }
}
