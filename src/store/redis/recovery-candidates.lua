--[[
  What pynenc's recovery would pick up now in a namespace, judged on the store's clock; changes
  nothing. Oldest status timestamp first, at most `limit`.
    pending-timeout: in the pending status with a timestamp at or before now - threshold: a range
      of the status index, so it reads only what it returns.
    dead-runner: in the running status, owned by a runner with no heartbeat in the namespace or a
      last heartbeat before now - threshold. The status index is walked oldest first and each
      owner's heartbeat read once; what it passes over is RUNNING under a live runner, so the walk
      is bounded by the work live runners hold plus the page.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 namespace  3 rule ("pending-timeout" or "dead-runner")
        4 threshold ms  5 limit  6 the pending status  7 the running status
  Returns: {now, revision, record, record, ...}, each record as record_reply (include/store.lua).
]]
local now = clock(ARGV[1])
local ns, rule, cutoff, limit = ARGV[2], ARGV[3], now - tonumber(ARGV[4]), tonumber(ARGV[5])
local reply = { now, current_revision() }
if limit <= 0 then return reply end

if rule == 'pending-timeout' then
  for _, id in ipairs(redis.call('ZRANGEBYSCORE', key(K.status, ns, ARGV[6]), '-inf', int(cutoff), 'LIMIT', 0, limit)) do
    local rec = read_record(ns, id)
    if rec then reply[#reply + 1] = record_reply(rec) end
  end
  return reply
end

local index, alive, offset = key(K.status, ns, ARGV[7]), {}, 0
while #reply - 2 < limit do
  local ids = redis.call('ZRANGE', index, offset, offset + 255)
  for _, id in ipairs(ids) do
    local rec = read_record(ns, id)
    if rec and rec.owner then
      if alive[rec.owner] == nil then
        local last = redis.call('HGET', key(K.runner, ns, rec.owner), 'h')
        alive[rec.owner] = last ~= false and tonumber(last) >= cutoff
      end
      if not alive[rec.owner] then
        reply[#reply + 1] = record_reply(rec)
        if #reply - 2 >= limit then break end
      end
    end
  end
  if #ids < 256 then break end
  offset = offset + 256
end
return reply
