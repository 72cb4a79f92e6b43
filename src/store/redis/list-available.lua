--[[
  A page of a namespace's available-for-run invocations, oldest first (by the revision that made
  them available), read together with the revision it was read at.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 namespace  2 only revisions after this  3 page size  4 task id ("" = every task)
  Returns: {revision, record, record, ...}, each record as record_reply (include/store.lua).
]]
local ns, after, limit, task = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local reply = { current_revision() }
if limit <= 0 then return reply end
local source = key(K.available, ns)
if task ~= '' then source = key(K.availableTask, ns, task) end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', source, '(' .. after, '+inf', 'LIMIT', 0, limit)) do
  local rec = read_record(ns, id)
  if rec then reply[#reply + 1] = record_reply(rec) end
end
return reply
