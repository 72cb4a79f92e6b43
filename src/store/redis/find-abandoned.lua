--[[
  Candidates for the server's own recovery in one namespace: invocations in one status whose
  record is older than a limit, oldest first, each with its owner's last heartbeat. Only the status
  index is read, never every record; the caller judges each with the lifecycle rules and hands the
  abandoned ones to recover.lua.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 namespace  3 status  4 older than ms  5 offset  6 page size
  Returns: {now, record, last heartbeat, record, last heartbeat, ...}, each record as
  record_reply (include/store.lua), each heartbeat ms or nil.
]]
local now = clock(ARGV[1])
local ns = ARGV[2]
local before = '(' .. int(now - tonumber(ARGV[4]))
local reply = { now }
local ids = redis.call('ZRANGEBYSCORE', key(K.status, ns, ARGV[3]), '-inf', before, 'LIMIT', tonumber(ARGV[5]),
  tonumber(ARGV[6]))
for _, id in ipairs(ids) do
  local rec = read_record(ns, id)
  if rec then
    reply[#reply + 1] = record_reply(rec)
    reply[#reply + 1] = rec.owner and redis.call('HGET', key(K.runner, ns, rec.owner), 'h') or false
  end
end
return reply
