--[[
  Candidates for recovery: invocations in one status whose record is older than a limit, oldest
  first, each with its owner's last heartbeat. Only the status index is read, never every record;
  the caller judges each with the lifecycle rules and hands the abandoned ones to recover.lua.

  KEYS: the keyspace (include/store.lua); uses runners, record:, status:.
  ARGV: 1 clock ms ("" = Redis TIME)  2 status  3 older than ms  4 offset  5 page size
  Returns: {now, record, last heartbeat, record, last heartbeat, ...}, each record
  {id, status, owner, timestamp, revision, task}, each heartbeat ms or nil.
]]
local now = clock(ARGV[1])
local before = '(' .. string.format('%d', now - tonumber(ARGV[3]))
local reply = { now }
local ids = redis.call('ZRANGEBYSCORE', K.status .. ARGV[2], '-inf', before, 'LIMIT', tonumber(ARGV[4]), tonumber(ARGV[5]))
for _, id in ipairs(ids) do
  local record = record_reply(id)
  if record then
    reply[#reply + 1] = record
    reply[#reply + 1] = record[3] and redis.call('HGET', K.runners, record[3]) or false
  end
end
return reply
