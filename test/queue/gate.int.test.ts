import { afterAll, describe, expect, it } from 'vitest'
import { StaticFlagSource } from '../../src/flags/static-source.js'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { createQueueControl } from '../../src/queue/control.js'
import { gateQueue } from '../../src/queue/gate.js'
import { checkGateOptions, decidePolicy, type GateDecision } from '../../src/queue/gate-policy.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import type { DrainableQueue, RefreshJob } from '../../src/queue/refresh-queue.js'
import { redisForTest } from '../helpers/redis.js'

const flags = new StaticFlagSource({ 'p.off': 'off', 'p.shadow': 'shadow', 'p.canary': { mode: 'canary', percent: 10 }, 'p.on': 'on' })

describe('gate policy (pure)', () => {
  it('follows the route mode by default: off and shadow pass, canary dedupes, on drops; unknown routes pass', () => {
    const options = checkGateOptions({ flags })
    expect(['p.off', 'p.shadow', 'p.canary', 'p.on', 'unknown'].map((r) => decidePolicy(r, options, {}))).toEqual(['pass', 'pass', 'dedupe', 'drop', 'pass'])
  })

  it('lets options map modes and name routes, and control-plane overrides beat both', () => {
    const options = checkGateOptions({ flags, modes: { off: 'dedupe', shadow: 'dedupe' }, routes: { 'p.on': 'dedupe', 'p.canary': 'pass' } })
    expect(decidePolicy('p.off', options, {})).toBe('dedupe')
    expect(decidePolicy('p.on', options, {})).toBe('dedupe')
    expect(decidePolicy('p.canary', options, {})).toBe('pass')
    expect(decidePolicy('p.canary', options, { 'p.canary': 'drop' })).toBe('drop')
  })

  it('rejects unknown keys and wrong values with coded errors naming the option', () => {
    const code = { code: 'CUTOVER_ERR_GATE_OPTIONS_INVALID' }
    expect(() => checkGateOptions({ flags, mode: {} } as never)).toThrow(expect.objectContaining(code))
    expect(() => checkGateOptions({} as never)).toThrow(/flags/)
    expect(() => checkGateOptions({ flags, modes: { off: 'skip' } as never })).toThrow(/modes\.off/)
    expect(() => checkGateOptions({ flags, modes: { of: 'pass' } as never })).toThrow(/modes keys/)
    expect(() => checkGateOptions({ flags, routes: { a: 'x' } as never })).toThrow(/routes\.a/)
    expect(() => checkGateOptions({ flags, recentSeconds: 7200 })).toThrow(/recentSeconds/)
    expect(() => checkGateOptions({ flags, overridesTtlMs: -1 })).toThrow(/overridesTtlMs/)
    expect(() => checkGateOptions({ flags, control: {} as never })).toThrow(/control/)
    expect(() => checkGateOptions({ flags, observe: 1 as never })).toThrow(/observe/)
  })
})

const env = redisForTest('gate')
afterAll(() => env.cleanup())

const drivers: Array<[string, (name: string) => DrainableQueue]> = [
  ['list', (name) => new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name })],
  ['bullmq', (name) => new BullmqRefreshQueue({ redis: env.redis, prefix: env.prefix, name })],
]

const jobs = (route: string, ids: number[]): RefreshJob[] => ids.map((id) => ({ table: 'products', id, origin: route }))

describe.each(drivers)('gateQueue on the %s driver', (driver, make) => {
  it('passes, dedupes and drops per route in one batch, and counts each decision per route', async () => {
    const queue = make(`g1${driver}`)
    const seen: Array<[string, GateDecision, number]> = []
    const gated = gateQueue(queue, { flags, observe: (route, decision, n) => seen.push([route, decision, n]) })
    try {
      await gated.enqueue([...jobs('p.off', [1, 1]), ...jobs('p.canary', [2, 2, 3]), ...jobs('p.on', [4, 5])])
      expect(await gated.depth()).toBe(4)
      await gated.enqueue(jobs('p.canary', [2, 6]))
      expect(await gated.depth()).toBe(5)
      expect(seen.sort()).toEqual(
        [
          ['p.off', 'passed', 2],
          ['p.canary', 'passed', 2],
          ['p.canary', 'deduped', 1],
          ['p.on', 'dropped', 2],
          ['p.canary', 'deduped', 1],
          ['p.canary', 'passed', 1],
        ].sort(),
      )
      await gated.enqueue([])
    } finally {
      await gated.close()
    }
  })

  it('follows a control-plane override within its cache time, and back when it is cleared', async () => {
    const name = `g2${driver}`
    const queue = make(name)
    const control = createQueueControl({ redis: env.redis, prefix: env.prefix, name, queue })
    const gated = gateQueue(queue, { flags, control, overridesTtlMs: 0 })
    try {
      await control.setGatePolicy('p.off', 'drop')
      expect(await gated.policyFor('p.off')).toBe('drop')
      await gated.enqueue(jobs('p.off', [1]))
      expect(await gated.depth()).toBe(0)
      expect(await control.gatePolicies()).toEqual({ 'p.off': 'drop' })
      await control.setGatePolicy('p.off', null)
      await gated.enqueue(jobs('p.off', [1]))
      expect(await gated.depth()).toBe(1)
      await expect(control.setGatePolicy('p.off', 'skip' as never)).rejects.toMatchObject({ code: 'CUTOVER_ERR_GATE_OPTIONS_INVALID' })
    } finally {
      await gated.close()
    }
  })

  it.each([true, false])('places jobs without an origin by options.origin and stores it on them (queue stamps it: %s)', async (stamps) => {
    const raw = make(`g6${driver}${stamps}`)
    // A queue that can't stamp gets copies that carry the origin; one that can gets it as an option.
    const queue = stamps ? raw : (Object.create(raw, { stampsOrigin: { value: false } }) as DrainableQueue)
    const calls: Array<[RefreshJob[], unknown]> = []
    const add = queue.add.bind(queue)
    queue.add = (entries, options) => {
      calls.push([entries.map((e) => e.job), options?.origin])
      return add(entries, options)
    }
    const seen: Array<[string, GateDecision, number]> = []
    const gated = gateQueue(queue, { flags, observe: (route, decision, n) => seen.push([route, decision, n]) })
    try {
      expect(gated.stampsOrigin).toBe(true)
      const caller: RefreshJob[] = [{ table: 'products', id: 1 }, { table: 'products', id: 2, origin: 'p.on' }, { table: 'products', id: 1 }]
      await gated.enqueue(caller, { origin: 'p.canary' })
      expect(seen.sort()).toEqual([['p.canary', 'deduped', 1], ['p.canary', 'passed', 1], ['p.on', 'dropped', 1]].sort())
      expect(calls).toEqual([[stamps ? [caller[0], caller[2]] : [{ table: 'products', id: 1, origin: 'p.canary' }, { table: 'products', id: 1, origin: 'p.canary' }], stamps ? 'p.canary' : undefined]])
      expect(caller[0]).toEqual({ table: 'products', id: 1 })
      const claimed = await raw.claim(10, 30_000)
      expect(claimed.map((c) => c.job)).toEqual([{ table: 'products', id: 1, origin: 'p.canary' }])
      await raw.ack(claimed)
      await expect(gated.enqueue(caller, { origin: {} as unknown as string })).rejects.toMatchObject({ code: 'CUTOVER_ERR_QUEUE_JOB_INVALID' })
    } finally {
      await raw.close()
    }
  })

  it('with recentSeconds, throttles a record after its job was taken', async () => {
    const queue = make(`g3${driver}`)
    const gated = gateQueue(queue, { flags, recentSeconds: 60 })
    try {
      await gated.enqueue(jobs('p.canary', [1]))
      const claimed = await queue.claim(10, 30_000)
      await queue.ack(claimed)
      await gated.enqueue(jobs('p.canary', [1]))
      expect(await gated.depth()).toBe(0)
    } finally {
      await gated.close()
    }
  })
})

describe('gate overrides cache', () => {
  it('reads the control plane at most once per ttl and keeps the last overrides when a read fails', async () => {
    let reads = 0
    let fail = false
    const control = {
      gatePolicies: async () => {
        reads++
        if (fail) throw new Error('down')
        return { 'p.off': 'drop' as const }
      },
    }
    const gated = gateQueue(new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'g4' }), { flags, control, overridesTtlMs: 60_000 })
    expect(await gated.policyFor('p.off')).toBe('drop')
    expect(await gated.policyFor('p.off')).toBe('drop')
    expect(reads).toBe(1)
    const short = gateQueue(new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'g5' }), { flags, control, overridesTtlMs: 0 })
    expect(await short.policyFor('p.off')).toBe('drop')
    fail = true
    expect(await short.policyFor('p.off')).toBe('drop')
  })
})
