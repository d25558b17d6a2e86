import { afterEach, describe, expect, it } from 'vitest'
import type { FlagChange, FlagSource, FlagSourceStatus } from '../../src/flags/flag-source.js'
import type { RouteFlagInput } from '../../src/flags/route-state.js'

/** What a driver's test file provides so the shared suite can drive its backend. */
export interface FlagSourceHarness {
  /** A started source reading the backend, and what its start() returned; `env` is passed to the source. */
  open(options?: { env?: NodeJS.ProcessEnv }): Promise<{ source: FlagSource; status: FlagSourceStatus }>
  /** Writes the backend's whole state (routes and its kill switch). */
  write(routes: Record<string, RouteFlagInput>, kill?: boolean): Promise<void>
  /** Makes the backend return a malformed payload from now on. */
  corrupt(): Promise<void>
  /** Waits until the source has picked up the backend's latest write. */
  settle(source: FlagSource): Promise<void>
  cleanup(): Promise<void>
}

/** Runs every FlagSource driver through the same behaviour. */
export function flagSourceContract(name: string, makeHarness: () => Promise<FlagSourceHarness>): void {
  describe(`FlagSource contract: ${name}`, () => {
    let harness: FlagSourceHarness | undefined
    const sources: FlagSource[] = []
    const open = async (h: FlagSourceHarness, env?: NodeJS.ProcessEnv) => {
      const opened = await h.open(env ? { env } : {})
      sources.push(opened.source)
      return opened
    }
    const setup = async (routes: Record<string, RouteFlagInput>, kill = false, env?: NodeJS.ProcessEnv) => {
      harness = await makeHarness()
      await harness.write(routes, kill)
      return { h: harness, ...(await open(harness, env)) }
    }
    afterEach(async () => {
      for (const s of sources.splice(0)) await s.close()
      await harness?.cleanup()
      harness = undefined
    })

    it('reads each route mode, percent and shadow rate; an unknown route is off', async () => {
      const { source } = await setup({
        a: { mode: 'on' },
        b: { mode: 'canary', percent: 25 },
        c: { mode: 'shadow', shadowRate: 0.5 },
        d: { mode: 'off' },
      })
      expect(source.state('a').mode).toBe('on')
      expect(source.state('b')).toMatchObject({ mode: 'canary', percent: 25 })
      expect(source.state('c')).toMatchObject({ mode: 'shadow', shadowRate: 0.5 })
      expect(source.state('d').mode).toBe('off')
      expect(source.state('nobody-knows-me').mode).toBe('off')
      expect(source.inCanary('nobody-knows-me', 'u1')).toBe(false)
      expect(source.inCanary('a', 'u1')).toBe(true)
      expect(source.inCanary('d', 'u1')).toBe(false)
    })

    it('start() on a good backend reports synchronized from the backend, its route count and no fault', async () => {
      const { status } = await setup({ a: { mode: 'on' }, b: { mode: 'off' } })
      expect(status).toEqual({ synchronized: true, origin: 'backend', routes: 2 })
    })

    it('start() on a bad backend reports synchronized false, no state in use and the fault; every route is off', async () => {
      harness = await makeHarness()
      await harness.write({ a: { mode: 'on' } })
      await harness.corrupt()
      const { source, status } = await open(harness)
      expect(status).toEqual({ synchronized: false, origin: 'none', routes: 0, fault: { code: expect.stringMatching(/^CUTOVER_ERR_FLAGS_/), message: expect.any(String) } })
      expect(source.state('a').mode).toBe('off')
      expect(source.stats().faults[status.fault?.code ?? '']).toBeGreaterThan(0)
      // Once the backend is good again the source follows it.
      await harness.write({ a: { mode: 'on' } })
      await harness.settle(source)
      expect(source.state('a').mode).toBe('on')
    })

    it('follows backend changes and reports each changed route once', async () => {
      const { h, source } = await setup({ a: { mode: 'off' }, b: { mode: 'on' } })
      const changes: FlagChange[] = []
      source.onChange((c) => changes.push(c))
      await h.write({ a: { mode: 'shadow', shadowRate: 0.2 }, b: { mode: 'on' } })
      await h.settle(source)
      expect(source.state('a')).toMatchObject({ mode: 'shadow', shadowRate: 0.2 })
      expect(changes.map((c) => [c.routeId, c.previous.mode, c.current.mode])).toEqual([['a', 'off', 'shadow']])
      await h.write({ b: { mode: 'on' } })
      await h.settle(source)
      expect(source.state('a').mode).toBe('off')
    })

    it('splits 10,000 distinct users within 1 point of the canary percentage, and a growing rollout keeps everyone in', async () => {
      const { h, source } = await setup({ r: { mode: 'canary', percent: 10 } })
      const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}@example.test`)
      const inAt10 = users.filter((u) => source.inCanary('r', u))
      expect(Math.abs((inAt10.length / users.length) * 100 - 10)).toBeLessThanOrEqual(1)
      await h.write({ r: { mode: 'canary', percent: 50 } })
      await h.settle(source)
      const inAt50 = new Set(users.filter((u) => source.inCanary('r', u)))
      expect(Math.abs((inAt50.size / users.length) * 100 - 50)).toBeLessThanOrEqual(1)
      expect(inAt10.filter((u) => !inAt50.has(u))).toEqual([])
    })

    it('kill() turns every route off in this process and revive() restores them', async () => {
      const { source } = await setup({ a: { mode: 'on' }, b: { mode: 'canary', percent: 100 } })
      const changes: FlagChange[] = []
      source.onChange((c) => changes.push(c))
      source.kill()
      expect(source.killed).toBe(true)
      expect([source.state('a').mode, source.state('b').mode]).toEqual(['off', 'off'])
      expect(source.inCanary('b', 'u1')).toBe(false)
      expect(changes.map((c) => c.routeId).sort()).toEqual(['a', 'b'])
      source.revive()
      expect(source.state('a').mode).toBe('on')
    })

    it("obeys the backend's kill switch", async () => {
      const { h, source } = await setup({ a: { mode: 'on' } })
      await h.write({ a: { mode: 'on' } }, true)
      await h.settle(source)
      expect(source.killed).toBe(true)
      expect(source.state('a').mode).toBe('off')
    })

    it('CUTOVER_KILL=1 starts the process with every route off', async () => {
      const { source } = await setup({ a: { mode: 'on' } }, false, { CUTOVER_KILL: '1' })
      expect(source.killed).toBe(true)
      expect(source.state('a').mode).toBe('off')
    })

    it('keeps the last good state when the backend turns malformed, and counts the fault', async () => {
      const { h, source } = await setup({ a: { mode: 'canary', percent: 30 } })
      await h.corrupt()
      await h.settle(source)
      expect(source.state('a')).toMatchObject({ mode: 'canary', percent: 30 })
      const faults = Object.values(source.stats().faults).reduce((a, b) => a + b, 0)
      expect(faults).toBeGreaterThan(0)
    })
  })
}
