--[[
  Claim up to N available invocations of a namespace for a runner, oldest first: each moves to the
  claim status (PENDING) owned by the runner, one change each. Every candidate is checked before
  anything is written, so a claim is all or nothing; two claims never take the same invocation.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 namespace  3 runner id  4 max count
        5 task id ("" = every task)  6 claim status  7 principal
  Returns: {0, revision, fields, revision, fields, ...} (nothing claimable: {0}), or an error
  code when a candidate fails the state machine (see include/store.lua).
]]
local now = clock(ARGV[1])
local ns, runner, max_count, task, to, principal = ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], ARGV[6], ARGV[7]
if max_count <= 0 then return { OK } end

local source = key(K.available, ns)
if task ~= '' then source = key(K.availableTask, ns, task) end
local ids = redis.call('ZRANGE', source, 0, max_count - 1)

local planned = {}
for i, id in ipairs(ids) do
  local cur = read_record(ns, id)
  local err, new = check(cur, ns, id, to, runner, '', '', now)
  if err then return err end
  planned[i] = { cur, new }
end

local reply = { OK }
for _, p in ipairs(planned) do
  local fields = commit(p[1], p[2], '', principal, '')
  reply[#reply + 1] = p[2].revision
  reply[#reply + 1] = fields
end
return reply
