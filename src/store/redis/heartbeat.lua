--[[
  Record that a runner is alive.

  KEYS: the keyspace (include/store.lua); uses runners.
  ARGV: 1 runner id  2 clock ms ("" = Redis TIME)
  Returns: the time recorded (ms).
]]
local now = clock(ARGV[2])
redis.call('HSET', K.runners, ARGV[1], string.format('%d', now))
return now
