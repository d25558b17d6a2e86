import { helpersLua } from './helpers.js'

/**
 * claim: first puts back claims whose visibility ended (their drainer died
 * or stalled), at the head so they run next; then takes up to `max` jobs
 * from the head, each under a new receipt visible again at now + visibility.
 * When the waiting list is empty the pending marks are cleared (a consumer
 * killed between its BLMOVE and its unmark can leave one behind).
 *
 * KEYS[1]  waiting list
 * KEYS[2]  claims hash (receipt -> payload)
 * KEYS[3]  inflight zset (receipt -> ms its visibility ends)
 * KEYS[4]  pending hash
 * KEYS[5]  receipt counter
 * ARGV[1]  max jobs
 * ARGV[2]  visibility, ms
 * ARGV[3]  receipt prefix (the drainer's id)
 *
 * Returns receipt, payload, receipt, payload, ...
 */
export const claimLua = `${helpersLua}
local now = nowMs()
local expired = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now, 'LIMIT', 0, 1000)
for _, r in ipairs(expired) do
  local payload = redis.call('HGET', KEYS[2], r)
  if payload then
    redis.call('RPUSH', KEYS[1], payload)
    mark(KEYS[4], record(payload))
  end
  redis.call('HDEL', KEYS[2], r)
  redis.call('ZREM', KEYS[3], r)
end
local out = {}
local deadline = now + tonumber(ARGV[2])
for _ = 1, tonumber(ARGV[1]) do
  local payload = redis.call('RPOP', KEYS[1])
  if not payload then break end
  local r = ARGV[3] .. ':' .. redis.call('INCR', KEYS[5])
  redis.call('HSET', KEYS[2], r, payload)
  redis.call('ZADD', KEYS[3], deadline, r)
  unmark(KEYS[4], record(payload))
  out[#out + 1] = r
  out[#out + 1] = payload
end
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[4]) end
return out
`
