--[[
  Claim up to N available invocations for a runner, oldest first: each moves to the claim status
  (PENDING) owned by the runner, one change each. Every candidate is checked before anything is
  written, so a claim is all or nothing; two claims never take the same invocation.

  KEYS: the keyspace (include/store.lua); uses revision, changes, definitions, records, available,
        record:, history:, status:, owner:, available-task:.
  ARGV: 1 runner id  2 max count  3 task id ("" = every task)  4 claim status
        5 clock ms ("" = Redis TIME)
  Returns: {0, revision, fields, revision, fields, ...} (nothing claimable: {0}), or an error
  code when a candidate fails the state machine (see include/store.lua).
]]
local runner, max_count, task, to = ARGV[1], tonumber(ARGV[2]), ARGV[3], ARGV[4]
local now = clock(ARGV[5])
if max_count <= 0 then return { OK } end

local source = K.available
if task ~= '' then source = K.availableTask .. task end
local ids = redis.call('ZRANGE', source, 0, max_count - 1)

local planned = {}
for i, id in ipairs(ids) do
  local cur = read_record(id)
  local err, new = check(cur, id, to, runner, '', '', now)
  if err then return err end
  planned[i] = { cur, new }
end

local reply = { OK }
for _, p in ipairs(planned) do
  local fields = commit(p[1], p[2], '', '')
  reply[#reply + 1] = p[2].revision
  reply[#reply + 1] = fields
end
return reply
