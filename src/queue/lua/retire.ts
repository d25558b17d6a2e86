/**
 * retireList: deletes a list queue's keys, atomically, only when no job is
 * waiting, running or claimed and no job was accepted for `quietMs`. The
 * dead-letter list is not among the keys: it outlives the queue.
 *
 * KEYS[1]  waiting list
 * KEYS[2]  running list
 * KEYS[3]  inflight zset
 * KEYS[4]  control hash (field lastEnqueueAt)
 * KEYS[5..] every other key of the queue, deleted with the above
 * ARGV[1]  quietMs
 *
 * Returns { retired (1|0), waiting, running + claimed, lastEnqueueAt (0: never), now }.
 */
export const retireLua = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local waiting = redis.call('LLEN', KEYS[1])
local inFlight = redis.call('LLEN', KEYS[2]) + redis.call('ZCARD', KEYS[3])
local last = tonumber(redis.call('HGET', KEYS[4], 'lastEnqueueAt')) or 0
if waiting + inFlight > 0 or (last > 0 and now - last < tonumber(ARGV[1])) then
  return { 0, waiting, inFlight, last, now }
end
redis.call('DEL', unpack(KEYS))
return { 1, 0, 0, last, now }
`
