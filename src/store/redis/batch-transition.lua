--[[
  Apply many transitions in order, in one script (so one commit): each is checked against the
  records as the items before it left them and succeeds or fails exactly as it would alone.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME), then per item the 11 values of transition.lua's ARGV 2-12:
        namespace, invocation id, target status, runner (optional), task id, expected revision,
        "1" = validate only, reason, principal, request id, request fingerprint
  Returns: {item, item, ...}, each item what transition.lua returns for it: {0, revision, fields}
  or an error code (see include/store.lua).
]]
local now = clock(ARGV[1])
local reply = {}
for i = 2, #ARGV, 11 do
  reply[#reply + 1] = transition_one(ARGV[i], ARGV[i + 1], ARGV[i + 2], optional(ARGV[i + 3]), ARGV[i + 4],
    ARGV[i + 5], ARGV[i + 6] == '1', ARGV[i + 7], ARGV[i + 8], ARGV[i + 9], ARGV[i + 10], now)
end
return reply
