--[[
  Recover abandoned invocations of one namespace that a read (find-abandoned.lua) found and the
  lifecycle rules judged: each moves through its recovery status to its rerouted status, two
  changes with the given reason. A candidate is recovered only while it is exactly as it was
  judged: the record at the same revision and its owner's last heartbeat unchanged; otherwise it
  is skipped (another replica or the runner got there first).

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 namespace  3 principal, then per candidate 6 values:
        id, revision judged at, owner's last heartbeat then ("" = none), reason,
        recovery status, rerouted status
  Returns: {0, revision, fields, ...} for the changes made, or an error code when a candidate
  fails the state machine (nothing is written then; see include/store.lua).
]]
local now = clock(ARGV[1])
local ns, principal = ARGV[2], ARGV[3]

local planned, taken = {}, {}
for i = 4, #ARGV, 6 do
  local id, judged, seen, reason = ARGV[i], tonumber(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
  local cur = not taken[id] and read_record(ns, id)
  taken[id] = true
  if cur and cur.revision == judged then
    local last = cur.owner and redis.call('HGET', key(K.runner, ns, cur.owner), 'h') or false
    if (last or '') == seen then
      local err, recovering = check(cur, ns, id, ARGV[i + 4], false, '', '', now)
      if err then return err end
      local err2, rerouted = check(recovering, ns, id, ARGV[i + 5], false, '', '', now)
      if err2 then return err2 end
      planned[#planned + 1] = { cur, recovering, rerouted, reason }
    end
  end
end

local reply = { OK }
for _, p in ipairs(planned) do
  local first = commit(p[1], p[2], p[4], principal, '')
  reply[#reply + 1] = p[2].revision
  reply[#reply + 1] = first
  -- The rerouted change starts from the record the first one left.
  local second = commit(p[2], p[3], p[4], principal, '')
  reply[#reply + 1] = p[3].revision
  reply[#reply + 1] = second
end
return reply
