/**
 * ack: removes claimed jobs that are done and adds them to the totals per
 * outcome, atomically, so each job is counted once however often it was
 * claimed. A receipt whose visibility ended is no longer held (its job is
 * back in the queue, or done by another drainer) and is skipped. Clears the
 * failure counts of the records refreshed.
 *
 * KEYS[1]  claims hash
 * KEYS[2]  inflight zset
 * KEYS[3]  totals hash (outcome -> jobs)
 * KEYS[4]  failures hash (record -> failures)
 * ARGV[1]  n: number of receipts
 * ARGV[2..2n+1] pairs: receipt, outcome ('' for none)
 * ARGV[2n+2..] records whose failure counts are cleared
 *
 * Returns how many receipts were still held.
 */
export const ackLua = `
local n = tonumber(ARGV[1])
local acked = 0
for i = 0, n - 1 do
  local r = ARGV[2 + 2 * i]
  if redis.call('ZREM', KEYS[2], r) == 1 then
    redis.call('HDEL', KEYS[1], r)
    acked = acked + 1
    local outcome = ARGV[3 + 2 * i]
    if outcome ~= '' then redis.call('HINCRBY', KEYS[3], outcome, 1) end
  end
end
if redis.call('HLEN', KEYS[4]) > 0 then
  for i = 2 + 2 * n, #ARGV do redis.call('HDEL', KEYS[4], ARGV[i]) end
end
return acked
`
