import { InMemStorageProvider, Unleash } from 'unleash-client'
import { describe, expect, it } from 'vitest'
import { inRollout, murmur3, stickyBucket } from '../../src/flags/sticky.js'

const users = (n: number, tag = 'u') => Array.from({ length: n }, (_, i) => `${tag}-${i}`)

describe('murmur3', () => {
  it('matches MurmurHash3 x86_32 reference values', () => {
    expect(murmur3('')).toBe(0)
    expect(murmur3('', 1)).toBe(0x514e28b7)
    expect(murmur3('hello')).toBe(0x248bfa47)
    expect(murmur3('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723)
  })
})

describe('stickyBucket / inRollout', () => {
  it('puts every identity in [0, 100) and is stable', () => {
    const buckets = users(2000).map((u) => stickyBucket('g', u))
    expect(Math.min(...buckets)).toBeGreaterThanOrEqual(0)
    expect(Math.max(...buckets)).toBeLessThan(100)
    expect(users(2000).map((u) => stickyBucket('g', u))).toEqual(buckets)
  })

  it.each([1, 5, 10, 25, 50, 75, 90, 99])('splits 10,000 distinct users within 1 point of $0 percent', (percent) => {
    const inside = users(10_000, 'user').filter((u) => inRollout('products.list', u, percent)).length
    expect(Math.abs(inside / 100 - percent)).toBeLessThanOrEqual(1)
  })

  it('only adds identities as the percentage grows (0.5% steps)', () => {
    const ids = users(5000)
    let previous = new Set<string>()
    const dropped: string[] = []
    for (let p = 0; p <= 100; p += 0.5) {
      const now = new Set(ids.filter((u) => inRollout('grp', u, p)))
      for (const u of previous) if (!now.has(u)) dropped.push(`${u} at ${p}%`)
      expect(now.size).toBeGreaterThanOrEqual(previous.size)
      previous = now
    }
    expect(dropped).toEqual([])
    expect(previous.size).toBe(ids.length)
  })

  it('decides like Unleash flexibleRollout for whole percentages (same hash, same groupId), non-ASCII ids too', async () => {
    const percents = [1, 10, 33, 50, 99]
    const features = percents.map((p) => ({
      name: `f${p}`,
      enabled: true,
      strategies: [{ name: 'flexibleRollout', constraints: [], parameters: { rollout: String(p), stickiness: 'default', groupId: 'shared-group' } }],
    }))
    const client = new Unleash({
      appName: 't',
      url: 'http://unleash.invalid/api',
      refreshInterval: 0, // no polling: the bootstrap alone
      disableMetrics: true,
      skipInstanceCountWarning: true,
      disableAutoStart: true,
      storageProvider: new InMemStorageProvider(),
      bootstrap: { data: features },
    })
    const ready = new Promise((resolve) => client.once('ready', resolve))
    await client.start()
    await ready
    try {
      const mismatches: string[] = []
      let enabled = 0
      for (const p of percents) {
        for (const u of [...users(1000), ...users(40, 'jösé'), ...users(40, '用户'), ...users(20, '😀')]) {
          const theirs = client.isEnabled(`f${p}`, { userId: u })
          if (theirs) enabled++
          if (inRollout('shared-group', u, p) !== theirs) mismatches.push(`${p}% ${u}`)
        }
      }
      expect(mismatches).toEqual([])
      expect(enabled).toBeGreaterThan(1000)
    } finally {
      client.destroy()
    }
  })
})
