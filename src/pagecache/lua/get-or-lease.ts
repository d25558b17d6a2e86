import { takeLeaseLua } from './acquire-lease.js'

/**
 * getOrLease: a lookup that, on a miss, takes the render lease in the same
 * round trip: the entry when there is one (no lease taken), else 1 when the
 * lease was taken, 0 when another holder has it. The lease is taken as
 * acquireLease takes it (a lease key without an expiry is taken over).
 *
 * KEYS[1]  the page key
 * KEYS[2]  the lease key (both under the route's hash tag: one slot)
 * ARGV[1]  the token to hold the lease under
 * ARGV[2]  its lifetime, ms
 */
export const getOrLeaseLua = `
local page = redis.call('GET', KEYS[1])
if page then
  return page
end
${takeLeaseLua('KEYS[2]')}`
