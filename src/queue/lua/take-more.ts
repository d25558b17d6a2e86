import { helpersLua } from './helpers.js'

/**
 * takeMore: the legacy consumer's step after its blocking BLMOVE: unmarks
 * the job it got, moves up to n more from waiting to running and unmarks
 * them too; clears the marks when nothing is left waiting.
 *
 * KEYS[1]  waiting list
 * KEYS[2]  running list
 * KEYS[3]  pending hash
 * ARGV[1]  the payload BLMOVE moved
 * ARGV[2]  n: more jobs to move
 *
 * Returns the payloads moved here.
 */
export const takeMoreLua = `${helpersLua}
unmark(KEYS[3], record(ARGV[1]))
local out = {}
for _ = 1, tonumber(ARGV[2]) do
  local payload = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT')
  if not payload then break end
  unmark(KEYS[3], record(payload))
  out[#out + 1] = payload
end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[3]) end
return out
`
