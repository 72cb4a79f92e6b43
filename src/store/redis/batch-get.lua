--[[
  The records of some invocations of a namespace, in the order asked, read at one revision;
  unknown ids are left out.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 namespace, then the invocation ids
  Returns: {revision, record, record, ...}, each record as record_reply (include/store.lua).
]]
local ns = ARGV[1]
local reply = { current_revision() }
for i = 2, #ARGV do
  local rec = read_record(ns, ARGV[i])
  if rec then reply[#reply + 1] = record_reply(rec) end
end
return reply
