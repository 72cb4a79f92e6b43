--[[
  The current records found through one index, read together with the revision they were read
  at. The caller applies the rest of its filter and orders them.

  KEYS: the keyspace (include/store.lua); uses revision, records, record:, status:, owner:.
  ARGV: 1 index: "ids" (ARGV 2.. are invocation ids), "owner" (ARGV 2 is a runner id),
        "statuses" (ARGV 2.. are statuses) or "all"
  Returns: {revision, record, record, ...}, each record {id, status, owner, timestamp, revision, task}.
]]
local reply = { tonumber(redis.call('GET', K.revision) or '0') }
local function add(ids)
  for _, id in ipairs(ids) do
    local record = record_reply(id)
    if record then reply[#reply + 1] = record end
  end
end
local by = ARGV[1]
if by == 'ids' then
  for i = 2, #ARGV do
    local record = record_reply(ARGV[i])
    if record then reply[#reply + 1] = record end
  end
elseif by == 'owner' then
  add(redis.call('SMEMBERS', K.owner .. ARGV[2]))
elseif by == 'statuses' then
  for i = 2, #ARGV do add(redis.call('ZRANGE', K.status .. ARGV[i], 0, -1)) end
else
  add(redis.call('ZRANGE', K.records, 0, -1))
end
return reply
