/**
 * Adds one process's batch of meter counts to a time bucket, atomically.
 * KEYS[1]  the bucket hash (`<prefix>:v1:meter:{meter}:b<seconds>:<start>`)
 * KEYS[2]  the backlog hash (route -> refresh jobs enqueued and not yet run)
 * ARGV[1]  seconds the bucket and backlog hashes are kept (their TTL, renewed on each flush)
 * ARGV[2]  n: number of field/increment pairs added with HINCRBY
 * ARGV[3]  m: number of field/value pairs kept as a maximum (gauges)
 * ARGV[4]  s: number of field/value pairs overwritten (last value of a gauge)
 * ARGV[5]  b: number of route/delta pairs added to the backlog hash
 * ARGV[6..] the n, then m, then s, then b pairs
 *
 * Kept as a string so the compiled package needs no asset files beside its JavaScript.
 */
export const flushLua = `
local n, m, s, b = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local i = 6
for _ = 1, n do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
for _ = 1, m do
  local old = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if old == nil or tonumber(ARGV[i + 1]) > old then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  end
  i = i + 2
end
for _ = 1, s do
  redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1])
  i = i + 2
end
if n + m + s > 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
end
for _ = 1, b do
  local left = redis.call('HINCRBY', KEYS[2], ARGV[i], ARGV[i + 1])
  if left == 0 then
    redis.call('HDEL', KEYS[2], ARGV[i])
  end
  i = i + 2
end
if b > 0 then
  redis.call('EXPIRE', KEYS[2], ARGV[1])
end
return n + m + s + b
`
