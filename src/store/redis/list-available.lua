--[[
  A page of the available-for-run invocations, oldest first (by the revision that made them
  available), read together with the revision it was read at.

  KEYS: the keyspace (include/store.lua); uses revision, available, available-task:, record:.
  ARGV: 1 only revisions after this  2 page size  3 task id ("" = every task)
  Returns: {revision, record, record, ...}, each record {id, status, owner, timestamp, revision, task}.
]]
local after, limit, task = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local reply = { tonumber(redis.call('GET', K.revision) or '0') }
if limit <= 0 then return reply end
local source = K.available
if task ~= '' then source = K.availableTask .. task end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', source, '(' .. after, '+inf', 'LIMIT', 0, limit)) do
  reply[#reply + 1] = record_reply(id)
end
return reply
