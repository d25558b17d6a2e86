// Pure decision logic for canary stickiness (shadow sampling is in
// src/modes/sampling.ts). No I/O, no clocks: the same inputs give the same
// answer in every process.

import murmurhash3js from 'murmurhash3js'

/**
 * MurmurHash3 x86 32-bit of the low byte of each UTF-16 code unit, seed 0 by
 * default: `x86.hash32` of murmurhash3js, the very function the Unleash Node
 * SDK calls for `flexibleRollout`, so cutover's canary decision for a whole
 * percentage equals the one Unleash itself would make for the same groupId and
 * user id. (Not murmurhash3js-revisited: it hashes byte arrays, so identities
 * outside Latin-1 would land in other buckets than Unleash puts them.)
 */
export function murmur3(key: string, seed = 0): number {
  return murmurhash3js.x86.hash32(key, seed)
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
