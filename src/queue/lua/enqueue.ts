import { helpersLua } from './helpers.js'

/**
 * enqueue: adds jobs at the tail of the waiting list, skipping the deduped
 * ones whose record already has a job waiting (or had one accepted within
 * the recent window), and records when the queue last took a job.
 *
 * KEYS[1]  waiting list
 * KEYS[2]  pending hash (record -> jobs waiting)
 * KEYS[3]  recent zset (record -> ms its last job was accepted)
 * KEYS[4]  control hash (field lastEnqueueAt)
 * ARGV[1]  recent window, ms (0: none)
 * ARGV[2]  how long recent entries are kept, ms
 * ARGV[3..] pairs: 'd' (dedupe) or 'p' (pass), then the job payload
 *
 * Returns one 1 (queued) or 0 (deduped) per job.
 */
export const enqueueLua = `${helpersLua}
local recentMs = tonumber(ARGV[1])
local now = nowMs()
if recentMs > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - tonumber(ARGV[2])) end
local out = {}
local accepted = 0
for i = 3, #ARGV, 2 do
  local payload = ARGV[i + 1]
  local rec = record(payload)
  local skip = false
  if ARGV[i] == 'd' and rec then
    if redis.call('HEXISTS', KEYS[2], rec) == 1 then
      skip = true
    elseif recentMs > 0 then
      local at = redis.call('ZSCORE', KEYS[3], rec)
      skip = at ~= false and tonumber(at) > now - recentMs
    end
  end
  if skip then
    out[#out + 1] = 0
  else
    redis.call('LPUSH', KEYS[1], payload)
    mark(KEYS[2], rec)
    if rec and recentMs > 0 then redis.call('ZADD', KEYS[3], now, rec) end
    accepted = accepted + 1
    out[#out + 1] = 1
  end
end
if accepted > 0 then redis.call('HSET', KEYS[4], 'lastEnqueueAt', now) end
return out
`
