--[[
  Record that runners of a namespace are alive, all at one time. A runner's first heartbeat creates
  it (created = now, no atomic service, no queues unless given); later ones move its last
  heartbeat and replace the metadata given.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 namespace
        3 can run the atomic service ("" = keep, "1" or "0")  4 consumed queues ("" = keep, or
        "=" .. JSON array of strings), then the runner ids
  Returns: the time recorded (ms).
]]
local now = clock(ARGV[1])
local ns, atomic, queues = ARGV[2], ARGV[3], optional(ARGV[4])
local at = int(now)
for i = 5, #ARGV do
  local runner = key(K.runner, ns, ARGV[i])
  if redis.call('HSETNX', runner, 'c', at) == 1 then
    redis.call('ZADD', key(K.runners, ns), now, ARGV[i])
    redis.call('HSET', runner, 'a', '0', 'q', '[]')
  end
  redis.call('HSET', runner, 'h', at)
  if atomic ~= '' then redis.call('HSET', runner, 'a', atomic) end
  if queues then redis.call('HSET', runner, 'q', queues) end
end
return now
