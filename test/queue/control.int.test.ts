import type { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { BullmqRefreshQueue } from '../../src/queue/bullmq-queue.js'
import { createQueueControl } from '../../src/queue/control.js'
import { checkDrainSettings, rateAt, settingsFromFields, settingsToFields } from '../../src/queue/drain-settings.js'
import { queueKeys } from '../../src/queue/keys.js'
import { ListRefreshQueue } from '../../src/queue/list-queue.js'
import { redisForTest } from '../helpers/redis.js'

describe('drain settings (pure)', () => {
  it('a schedule ramps linearly from `from` to `to` and holds `to` after; else the rate, else the fallback', () => {
    const schedule = { from: 2000, to: 200, overMs: 3_600_000, startAt: 1000 }
    expect(rateAt({ schedule }, 0, 5)).toBe(2000)
    expect(rateAt({ schedule }, 1000 + 1_800_000, 5)).toBe(1100)
    expect(rateAt({ schedule }, 1000 + 7_200_000, 5)).toBe(200)
    expect(rateAt({ rate: 300 }, 0, 5)).toBe(300)
    expect(rateAt({}, 0, 5)).toBe(5)
  })

  it('rejects a bad state, rate or schedule with a coded error naming it', () => {
    const code = { code: 'CUTOVER_ERR_DRAIN_OPTIONS_INVALID' }
    expect(() => checkDrainSettings({ state: 'go' }, 0)).toThrow(expect.objectContaining(code))
    expect(() => checkDrainSettings({ state: 'running', rate: 0 }, 0)).toThrow(/rate/)
    expect(() => checkDrainSettings({ state: 'running', rate: Infinity }, 0)).toThrow(/rate/)
    expect(() => checkDrainSettings({ state: 'running', speed: 1 }, 0)).toThrow(/only state/)
    expect(() => checkDrainSettings(null, 0)).toThrow(/settings/)
    expect(() => checkDrainSettings({ state: 'running', schedule: { from: 1, to: 2 } }, 0)).toThrow(/schedule\.overMs/)
    expect(() => checkDrainSettings({ state: 'running', schedule: { from: -1, to: 2, overMs: 1 } }, 0)).toThrow(/schedule\.from/)
    expect(() => checkDrainSettings({ state: 'running', schedule: { from: 1, to: 2, overMs: 1, startAt: 'now' } }, 0)).toThrow(/startAt/)
    expect(() => checkDrainSettings({ state: 'running', schedule: { from: 1, to: 2, overMs: 1, every: 1 } }, 0)).toThrow(/only from/)
    expect(() => checkDrainSettings({ state: 'running', schedule: 5 }, 0)).toThrow(/schedule to be/)
    expect(checkDrainSettings({ state: 'paused', schedule: { from: 1, to: 2, overMs: 10 } }, 42)).toEqual({ state: 'paused', schedule: { from: 1, to: 2, overMs: 10, startAt: 42 } })
  })

  it('reads back what it wrote, and reads never-set or damaged fields as running at the drainer\'s rate', () => {
    const settings = { state: 'paused' as const, schedule: { from: 1, to: 2, overMs: 10, startAt: 5 }, updatedAt: 9 }
    expect(settingsFromFields(Object.values(settingsToFields(settings)))).toEqual(settings)
    expect(settingsFromFields([null, null, null, null])).toEqual({ state: 'running', updatedAt: 0 })
    expect(settingsFromFields(['x', 'fast', '{', 'y'])).toEqual({ state: 'running', updatedAt: 0 })
  })
})

/**
 * The interface the playbook side codes against (QueueControl as agreed):
 * createQueueControl's result must stay assignable to it (checked by typecheck).
 */
interface AgreedQueueControl {
  setGatePolicy(routeId: string, policy: 'pass' | 'dedupe' | 'drop' | null): Promise<void>
  gatePolicies(): Promise<Record<string, 'pass' | 'dedupe' | 'drop'>>
  setDrain(settings: { state: 'running' | 'paused' | 'stopped'; rate?: number; schedule?: { from: number; to: number; overMs: number; startAt?: number } }): Promise<{ state: string; updatedAt: number }>
  status(): Promise<{ depth: number; inFlight: number; deadLetters: number; lastEnqueueAt: number | undefined; settings: { state: string; updatedAt: number }; drainers: number; drainRate: number }>
  retire(options: { quietMs: number }): Promise<void>
}
const agreed: (options: { redis: Redis; prefix?: string; name?: string }) => AgreedQueueControl = createQueueControl
void agreed

const env = redisForTest('control')
afterAll(() => env.cleanup())

describe('QueueControl', () => {
  it('keeps drain settings in Redis: a state change keeps the rate, a rate replaces the schedule', async () => {
    const control = createQueueControl({ redis: env.redis, prefix: env.prefix, name: 'c1' })
    expect(await control.drainSettings()).toEqual({ state: 'running', updatedAt: 0 })
    await control.setDrain({ state: 'running', schedule: { from: 2000, to: 200, overMs: 60_000 } })
    const paused = await control.setDrain({ state: 'paused' })
    expect(paused).toMatchObject({ state: 'paused', schedule: { from: 2000, to: 200, overMs: 60_000 } })
    expect(await control.drainSettings()).toEqual(paused)
    const rated = await control.setDrain({ state: 'running', rate: 300 })
    expect(rated.schedule).toBeUndefined()
    expect(await control.drainSettings()).toEqual(rated)
    await expect(control.setDrain({ state: 'running', rate: -1 })).rejects.toMatchObject({ code: 'CUTOVER_ERR_DRAIN_OPTIONS_INVALID' })
  })

  it('status adds up live drainers and forgets stale ones', async () => {
    const control = createQueueControl({ redis: env.redis, prefix: env.prefix, name: 'c2' })
    await new ListRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'c2' }).enqueue([{ table: 't', id: 1 }])
    await control.reportDrainer('a', { rate: 100 })
    await control.reportDrainer('b', { rate: 50.5 })
    const keys = queueKeys(env.prefix, 'c2')
    await env.redis.hset(keys.drainers, 'old', JSON.stringify({ at: Date.now() - 120_000, rate: 9 }), 'junk', '{')
    const status = await control.status()
    expect(status).toMatchObject({ depth: 1, inFlight: 0, deadLetters: 0, drainers: 2, drainRate: 150.5, settings: { state: 'running' } })
    expect(status.lastEnqueueAt).toBeGreaterThan(Date.now() - 60_000)
    expect(Object.keys(await env.redis.hgetall(keys.drainers)).sort()).toEqual(['a', 'b'])
    await control.forgetDrainer('a')
    expect((await control.status()).drainers).toBe(1)
    const fresh = await createQueueControl({ redis: env.redis, prefix: env.prefix, name: 'c-none' }).status()
    expect(fresh.lastEnqueueAt).toBeUndefined()
  })

  it('retire refuses with the reason while jobs are left or producers are recent, then removes the queue', async () => {
    const queue = new BullmqRefreshQueue({ redis: env.redis, prefix: env.prefix, name: 'c3' })
    const control = createQueueControl({ redis: env.redis, prefix: env.prefix, queue })
    try {
      await queue.enqueue([{ table: 't', id: 1 }])
      await expect(control.retire({ quietMs: 0 })).rejects.toThrow(/1 job\(s\) waiting and 0 in flight/)
      const claimed = await queue.claim(1, 30_000)
      await queue.ack(claimed)
      await expect(control.retire({ quietMs: 60_000 })).rejects.toMatchObject({ code: 'CUTOVER_ERR_DRAIN_RETIRE_REFUSED', message: /quiet window of 60\.0 s/ })
      await expect(control.retire({ quietMs: -1 })).rejects.toMatchObject({ code: 'CUTOVER_ERR_DRAIN_OPTIONS_INVALID' })
      expect(await control.retireQueue({ quietMs: 0 })).toMatchObject({ retired: true, deadLetters: 0 })
      await expect(control.retire({ quietMs: 0 })).resolves.toBeUndefined()
      expect(await env.redis.keys(`${env.prefix}*{c3}*`)).toEqual([])
      expect(await control.deadLetters()).toEqual([])
    } finally {
      await queue.close()
    }
  })
})
