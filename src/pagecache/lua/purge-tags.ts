/**
 * purgeTags: moves the version of every given tag, all or none, and announces
 * the new states on the invalidation channel in the same step, so no process
 * can miss a purge that happened.
 *
 * KEYS[1]  the tags hash (`<prefix>:v1:tags`)
 * ARGV[1]  "1" for a hard purge, "0" for a soft one
 * ARGV[2]  the invalidation channel (`<prefix>:v1:invalidate`)
 * ARGV[3..] the tag names (distinct)
 *
 * Field `v:<tag>` holds the tag's version, `h:<tag>` the version of its last
 * hard purge. Publishes `{"tags":{"<tag>":{"version":v,"hard":h},...}}` and
 * returns { version1, hard1, version2, hard2, ... } in ARGV order. Every
 * counter is checked before the first write, because Redis does not roll back
 * a script that fails half way: a counter that is not a whole number from 0
 * to 2^53 - 2 in plain digits (what HINCRBY can move and JavaScript reads
 * exactly) makes the script write nothing and return
 * { "corrupt", <tag>, <field value> } instead.
 */
export const purgeTagsLua = `
local hash = KEYS[1]
local hard = ARGV[1] == '1'
local function whole(s)
  return s == '0' or (string.match(s, '^[1-9]%d*$') ~= nil and #s <= 16 and tonumber(s) < 9007199254740991)
end
for i = 3, #ARGV do
  for _, field in ipairs({ 'v:', 'h:' }) do
    local value = redis.call('HGET', hash, field .. ARGV[i])
    if value and not whole(value) then
      return { 'corrupt', ARGV[i], value }
    end
  end
end
local out = {}
local states = {}
for i = 3, #ARGV do
  local tag = ARGV[i]
  local version = redis.call('HINCRBY', hash, 'v:' .. tag, 1)
  local hardVersion
  if hard then
    redis.call('HSET', hash, 'h:' .. tag, version)
    hardVersion = version
  else
    hardVersion = tonumber(redis.call('HGET', hash, 'h:' .. tag) or '0')
  end
  out[#out + 1] = version
  out[#out + 1] = hardVersion
  states[tag] = { version = version, hard = hardVersion }
end
redis.call('PUBLISH', ARGV[2], cjson.encode({ tags = states }))
return out
`
