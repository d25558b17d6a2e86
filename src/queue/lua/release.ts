import { helpersLua } from './helpers.js'

/**
 * release: puts claimed jobs back at the head of the waiting list without
 * counting a failure (the database was unreachable, or the drainer stops).
 *
 * KEYS[1]  waiting list
 * KEYS[2]  claims hash
 * KEYS[3]  inflight zset
 * KEYS[4]  pending hash
 * ARGV[1..] receipts
 *
 * Returns how many were still held.
 */
export const releaseLua = `${helpersLua}
local released = 0
for i = #ARGV, 1, -1 do
  local r = ARGV[i]
  if redis.call('ZREM', KEYS[3], r) == 1 then
    local payload = redis.call('HGET', KEYS[2], r)
    redis.call('HDEL', KEYS[2], r)
    if payload then
      redis.call('RPUSH', KEYS[1], payload)
      mark(KEYS[4], record(payload))
      released = released + 1
    end
  end
end
return released
`
