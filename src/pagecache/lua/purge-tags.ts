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
 * a script that fails half way.
 */
export const purgeTagsLua = `
local hash = KEYS[1]
local hard = ARGV[1] == '1'
for i = 3, #ARGV do
  local v = redis.call('HGET', hash, 'v:' .. ARGV[i])
  local h = redis.call('HGET', hash, 'h:' .. ARGV[i])
  if (v and not string.match(v, '^%d+$')) or (h and not string.match(h, '^%d+$')) then
    return redis.error_reply('ERR cutover tag state of "' .. ARGV[i] .. '" is not an integer')
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
