--[[
  Move one invocation to a new status: check it against the current record and, unless
  validate-only, commit it (record, indexes, history, stream entry) under the next revision.

  KEYS: the keyspace (include/store.lua); uses revision, changes, definitions, records, available,
        record:, history:, status:, owner:, available-task:, request:.
  ARGV:
    1 invocation id        2 target status           3 runner (optional: "" or "=" .. id)
    4 task id (registration only)                    5 expected revision ("" = any)
    6 "1" = validate only  7 reason                  8 request id ("" = none)
    9 request fingerprint  10 clock ms ("" = Redis TIME)
  Returns: {0, revision, fields}, or {1..5, ...} (see include/store.lua). A retry under a known
  request id returns the change it produced, read back from the stream.
]]
local id, to, runner, task, expected = ARGV[1], ARGV[2], optional(ARGV[3]), ARGV[4], ARGV[5]
local validate_only, reason, request_id, fingerprint = ARGV[6] == '1', ARGV[7], ARGV[8], ARGV[9]
local remember = request_id ~= '' and not validate_only

if remember then
  local seen = redis.call('HMGET', K.request .. request_id, 'f', 'r')
  if seen[1] then
    if seen[1] ~= fingerprint then return { REQUEST_ID_REUSED, request_id } end
    local entry = redis.call('XRANGE', K.changes, entry_id(seen[2]), entry_id(seen[2]))
    if entry[1] then return { OK, tonumber(seen[2]), entry[1][2] } end
  end
end

local cur = read_record(id)
local err, new = check(cur, id, to, runner, task, expected, clock(ARGV[10]))
if err then return err end

if validate_only then
  local next = tonumber(redis.call('GET', K.revision) or '0') + 1
  return { OK, next, change_fields(new, cur, reason, '') }
end

local fields = commit(cur, new, reason, request_id)
if remember then redis.call('HSET', K.request .. request_id, 'f', fingerprint, 'r', new.revision) end
return { OK, new.revision, fields }
