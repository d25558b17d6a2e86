import { takeLeaseLua } from './acquire-lease.js'

/**
 * getOrLease for a page whose tags the caller expects (it read the page
 * before): as get-or-lease.ts, and when there is an entry, the tag-state
 * fields asked for are read in the same script, after the entry, so a hit
 * costs one command and one round trip. Returns `{ entry, field values... }`
 * when there is an entry; else 1 when the lease was taken, 0 when another
 * holder has it. Only where all three keys are on one server (not on a
 * Cluster: the tag hash has a slot of its own).
 *
 * KEYS[1]  the page key
 * KEYS[2]  the lease key
 * KEYS[3]  the tag-state hash
 * ARGV[1]  the token to hold the lease under
 * ARGV[2]  its lifetime, ms
 * ARGV[3..] the tag-state fields to read with the entry
 */
export const getWithTagsLua = `
local page = redis.call('GET', KEYS[1])
if page then
  local states = redis.call('HMGET', KEYS[3], unpack(ARGV, 3))
  table.insert(states, 1, page)
  return states
end
${takeLeaseLua('KEYS[2]')}`
