--[[
  Every retained change of one invocation since its registration, oldest first.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 namespace  2 invocation id
  Returns: {0, revision, fields, revision, fields, ...}.
]]
local reply = { OK }
for _, revision in ipairs(redis.call('LRANGE', key(K.history, ARGV[1], ARGV[2]), 0, -1)) do
  local change = committed_change(revision)
  if change then
    reply[#reply + 1] = change[2]
    reply[#reply + 1] = change[3]
  end
end
return reply
