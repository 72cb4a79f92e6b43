--[[
  Delete a namespace's invocations (records, histories, index entries, counts), runners and request
  ids, one bounded step per call: the caller repeats while the reply says there is more. The
  change log is every namespace's and keeps its entries until retention drops them.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 namespace  2 most invocations and runners removed per call
  Returns: {invocations purged, runners purged, 1 when there is more to do else 0}.
]]
local ns, step = ARGV[1], tonumber(ARGV[2])
local records, runners = key(K.records, ns), key(K.runners, ns)
local purged, runners_purged = 0, 0

for _, id in ipairs(redis.call('ZRANGE', records, 0, step - 1)) do
  local rec = read_record(ns, id)
  if rec then
    forget(rec)
    purged = purged + 1
  else
    redis.call('ZREM', records, id)
  end
end
if purged < step then
  for _, id in ipairs(redis.call('ZRANGE', runners, 0, step - purged - 1)) do
    redis.call('DEL', key(K.runner, ns, id))
    redis.call('ZREM', runners, id)
    runners_purged = runners_purged + 1
  end
end

local more = redis.call('ZCARD', records) + redis.call('ZCARD', runners) > 0
if not more then
  -- UNLINK frees a large hash of request ids off Redis's main thread.
  redis.call('UNLINK', key(K.requests, ns))
  redis.call('SREM', K.namespaces, ns)
end
return { purged, runners_purged, more and 1 or 0 }
