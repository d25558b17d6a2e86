import { helpersLua } from './helpers.js'

/**
 * fail: counts a failure against each claimed job's record; a job whose
 * record reached `maxFailures` (or that has no record: not a valid job) goes
 * to the dead-letter list with the reason, the others back to the tail of
 * the waiting list, so a failing job never holds up the ones behind it. The
 * count is kept after a dead letter (the record's next job fails over at its
 * next failure) and cleared when the record is refreshed (ack).
 *
 * KEYS[1]  waiting list
 * KEYS[2]  claims hash
 * KEYS[3]  inflight zset
 * KEYS[4]  pending hash
 * KEYS[5]  failures hash
 * KEYS[6]  dead-letter list
 * ARGV[1]  maxFailures
 * ARGV[2..] triples: receipt, record ('' for an invalid job), reason
 *
 * Returns the receipts dead-lettered.
 */
export const failLua = `${helpersLua}
local max = tonumber(ARGV[1])
local now = nowMs()
local dead = {}
for i = 2, #ARGV, 3 do
  local r, rec, reason = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  if redis.call('ZREM', KEYS[3], r) == 1 then
    local payload = redis.call('HGET', KEYS[2], r)
    redis.call('HDEL', KEYS[2], r)
    if payload then
      local failures = 0
      if rec ~= '' then failures = redis.call('HINCRBY', KEYS[5], rec, 1) end
      if rec == '' or failures >= max then
        redis.call('LPUSH', KEYS[6], cjson.encode({ raw = payload, reason = reason, failures = failures, at = now }))
        dead[#dead + 1] = r
      else
        redis.call('LPUSH', KEYS[1], payload)
        mark(KEYS[4], record(payload))
      end
    end
  end
end
return dead
`
