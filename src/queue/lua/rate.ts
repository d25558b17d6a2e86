/**
 * takeRate: the drain's global rate limit, shared by every drainer of a
 * queue: GCRA (generic cell rate algorithm) on one key holding the
 * theoretical arrival time (TAT), epoch ms. A request for n jobs is granted
 * whole when the TAT is not in the future, and moves the TAT n / rate later;
 * otherwise the caller is told how long to wait. A TAT in the past counts
 * from at most `toleranceMs` ago: drainers a little late for their turn (busy
 * with a batch) make the time up, an idle queue builds no larger burst. A
 * negative n returns unused jobs of the last grant.
 *
 * KEYS[1]  rate key
 * ARGV[1]  rate, jobs/s
 * ARGV[2]  n: jobs asked for (or returned, when negative)
 * ARGV[3]  toleranceMs
 *
 * Returns { granted, waitMs }.
 */
export const rateLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local rate = tonumber(ARGV[1])
local n = tonumber(ARGV[2])
local tat = math.max(tonumber(redis.call('GET', KEYS[1])) or now, now - tonumber(ARGV[3]))
if n < 0 then
  tat = math.max(now - tonumber(ARGV[3]), tat + n * 1000 / rate)
  redis.call('SET', KEYS[1], tostring(tat), 'PX', 60000 + math.ceil(tat - now))
  return { 0, 0 }
end
if tat > now then return { 0, math.ceil(tat - now) } end
tat = tat + n * 1000 / rate
redis.call('SET', KEYS[1], tostring(tat), 'PX', 60000 + math.ceil(tat - now))
return { n, 0 }
`
