/**
 * Functions the list driver's scripts share, prepended to each of them.
 *
 * record(payload): the record a job payload refreshes, `<table>\0<id>`, as
 * `recordOf` in keys.ts makes it (an integral numeric id in decimal, so 5 and
 * "5" are one record); nil for a payload that is not a job.
 * nowMs(): the Redis server's clock, so every process agrees on time.
 * mark/unmark(pendingKey, record): one more / one fewer job of the record waiting.
 */
export const helpersLua = `
local function record(payload)
  local ok, job = pcall(cjson.decode, payload)
  if not ok or type(job) ~= 'table' or type(job.table) ~= 'string' or job.table == '' then return nil end
  local id = job.id
  if type(id) == 'number' then
    if id == math.floor(id) and math.abs(id) < 1e21 then id = string.format('%.0f', id) else id = string.format('%.17g', id) end
  elseif type(id) ~= 'string' or id == '' then
    return nil
  end
  return job.table .. string.char(0) .. id
end
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function mark(pendingKey, rec)
  if rec then redis.call('HINCRBY', pendingKey, rec, 1) end
end
local function unmark(pendingKey, rec)
  if rec and redis.call('HINCRBY', pendingKey, rec, -1) <= 0 then redis.call('HDEL', pendingKey, rec) end
end
`
