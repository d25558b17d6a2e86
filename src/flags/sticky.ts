// Pure decision logic for canary stickiness and shadow sampling. No I/O, no
// clocks: the same inputs give the same answer in every process.

/**
 * MurmurHash3 x86 32-bit of the low byte of each UTF-16 code unit, seed 0 by
 * default. This is bit-for-bit the hash Unleash SDKs use for `flexibleRollout`
 * (murmurhash3js `x86.hash32`), so cutover's canary decision for a whole
 * percentage equals the one Unleash itself would make for the same groupId and
 * user id.
 */
export function murmur3(key: string, seed = 0): number {
  const c1 = 0xcc9e2d51
  const c2 = 0x1b873593
  const len = key.length
  const tail = len % 4
  const blocks = len - tail
  let h1 = seed | 0
  let k1 = 0
  let i = 0
  for (; i < blocks; i += 4) {
    k1 =
      (key.charCodeAt(i) & 0xff) |
      ((key.charCodeAt(i + 1) & 0xff) << 8) |
      ((key.charCodeAt(i + 2) & 0xff) << 16) |
      ((key.charCodeAt(i + 3) & 0xff) << 24)
    k1 = Math.imul(k1, c1)
    k1 = (k1 << 15) | (k1 >>> 17)
    k1 = Math.imul(k1, c2)
    h1 ^= k1
    h1 = (h1 << 13) | (h1 >>> 19)
    h1 = (Math.imul(h1, 5) + 0xe6546b64) | 0
  }
  k1 = 0
  if (tail === 3) k1 ^= (key.charCodeAt(i + 2) & 0xff) << 16
  if (tail >= 2) k1 ^= (key.charCodeAt(i + 1) & 0xff) << 8
  if (tail >= 1) {
    k1 ^= key.charCodeAt(i) & 0xff
    k1 = Math.imul(k1, c1)
    k1 = (k1 << 15) | (k1 >>> 17)
    k1 = Math.imul(k1, c2)
    h1 ^= k1
  }
  h1 ^= len
  h1 ^= h1 >>> 16
  h1 = Math.imul(h1, 0x85ebca6b)
  h1 ^= h1 >>> 13
  h1 = Math.imul(h1, 0xc2b2ae35)
  h1 ^= h1 >>> 16
  return h1 >>> 0
}

/**
 * Where an identity sits in a rollout group: a number in [0, 100) with two
 * decimals. The whole part is Unleash's bucket (`hash % 100`, which Unleash
 * reports 1-based), the decimals refine it, so fractional percentages work
 * without moving anyone across a whole-percent boundary.
 */
export function stickyBucket(groupId: string, identity: string): number {
  const hash = murmur3(`${groupId}:${identity}`)
  return (hash % 100) + (Math.floor(hash / 100) % 100) / 100
}

/**
 * True when the identity is inside a rollout of `percent` (0..100). The
 * bucket of an identity never changes, so raising the percentage only adds
 * identities: whoever is in at 10% is in at 50%.
 */
export function inRollout(groupId: string, identity: string, percent: number): boolean {
  if (percent <= 0) return false
  if (percent >= 100) return true
  return stickyBucket(groupId, identity) < percent
}

// A different seed from the canary hash so the shadowed share of requests is
// not correlated with who is in the canary.
const SHADOW_SEED = 0x5eed5

/**
 * Deterministic sample: true for a `rate` (0..1) share of sample keys. Used
 * to pick which legacy-served requests of a shadow-mode route get a shadow.
 */
export function sampled(groupId: string, sampleKey: string, rate: number): boolean {
  if (rate <= 0) return false
  if (rate >= 1) return true
  return murmur3(`${groupId}:${sampleKey}`, SHADOW_SEED) % 10_000 < rate * 10_000
}
