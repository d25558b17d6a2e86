// Which legacy-served requests of a shadow-mode route get a shadow. Pure: no
// I/O, no clocks.

import { murmur3 } from '../flags/sticky.js'

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
