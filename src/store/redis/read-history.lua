--[[
  Every retained change of one invocation since its registration, oldest first.

  KEYS: the keyspace (include/store.lua); uses changes, history:.
  ARGV: 1 invocation id
  Returns: {0, revision, fields, revision, fields, ...}.
]]
local reply = { OK }
for _, revision in ipairs(redis.call('LRANGE', K.history .. ARGV[1], 0, -1)) do
  local entry = redis.call('XRANGE', K.changes, entry_id(revision), entry_id(revision))
  if entry[1] then
    reply[#reply + 1] = tonumber(revision)
    reply[#reply + 1] = entry[1][2]
  end
end
return reply
