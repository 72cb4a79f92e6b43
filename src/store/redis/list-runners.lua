--[[
  The runners of a namespace that ever sent a heartbeat, by creation time, each with what it owns
  per status (read through its owner set, which holds only what it owns now).

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 namespace
  Returns: {now, runner, runner, ...}, each runner {id, created ms, last heartbeat ms, "1"/"0"
  atomic service, queues JSON, {status, count, status, count, ...}}.
]]
local now = clock(ARGV[1])
local ns = ARGV[2]
local reply = { now }
for _, id in ipairs(redis.call('ZRANGE', key(K.runners, ns), 0, -1)) do
  local f = redis.call('HMGET', key(K.runner, ns, id), 'c', 'h', 'a', 'q')
  local owned, order = {}, {}
  for _, invocation in ipairs(redis.call('SMEMBERS', key(K.owner, ns, id))) do
    local status = redis.call('HGET', key(K.record, ns, invocation), 's')
    if status then
      if not owned[status] then
        owned[status] = 0
        order[#order + 1] = status
      end
      owned[status] = owned[status] + 1
    end
  end
  local counts = {}
  for _, status in ipairs(order) do
    counts[#counts + 1] = status
    counts[#counts + 1] = owned[status]
  end
  reply[#reply + 1] = { id, f[1], f[2], f[3], f[4], counts }
end
return reply
