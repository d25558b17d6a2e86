// Which legacy-served requests of a shadow-mode route get a shadow. No I/O,
// no clocks.

import { randomFillSync } from 'node:crypto'
import { murmur3 } from '../flags/sticky.js'

// A different seed from the canary hash so the shadowed share of requests is
// not correlated with who is in the canary.
const SHADOW_SEED = 0x5eed5

/**
 * Deterministic sample: true for a `rate` (0..1) share of sample keys. Only
 * for keys a client cannot choose: with a key it chooses (a request id taken
 * from a header, a URL), a client decides whether it is sampled. Shadow mode
 * draws with drawSample() instead.
 */
export function sampled(groupId: string, sampleKey: string, rate: number): boolean {
  if (rate <= 0) return false
  if (rate >= 1) return true
  return murmur3(`${groupId}:${sampleKey}`, SHADOW_SEED) % 10_000 < rate * 10_000
}

// CSPRNG output taken 256 words at a time: one randomFillSync per 256 draws.
const words = new Uint32Array(256)
let nextWord = words.length

/** A uniform draw in [0, 1) from the operating system's CSPRNG: nothing a client sends, or can predict from what it sees, decides it. */
export function secureRandom(): number {
  if (nextWord >= words.length) {
    randomFillSync(words)
    nextWord = 0
  }
  return words[nextWord++]! / 0x1_0000_0000
}

/**
 * Whether one request is shadowed: a fresh draw per request, in with
 * probability `rate` (0..1). Nothing about a shadow is sticky per user or
 * per request id (each request is compared on its own), so nothing a client
 * sends takes part: a client that fixes its `x-request-id` is sampled at the
 * rate like any other, never always or never. `admit` may lower the rate (the
 * shadows' CPU budget): it gets the draw and the rate and returns the rate in
 * effect if the draw is in, else 0. Returns the rate the request was shadowed
 * at, 0 when it is not.
 */
export function drawSample(rate: number, admit: (u: number, rate: number) => number = (_u, r) => r, random: () => number = secureRandom): number {
  if (rate <= 0) return 0
  const u = random()
  return u < rate ? admit(u, Math.min(1, rate)) : 0
}
