--[[
  Shared by every script (prepended when the scripts are loaded): the keyspace, the clock, the
  state machine read from the definitions hash, and the one path that commits a change.

  KEYS (the same for every script, built in keys.ts):
    1 revision       2 changes        3 oldest          4 definitions    5 records
    6 available      7 runners        8 record:<id>     9 history:<id>  10 status:<status>
   11 owner:<runner> 12 available-task:<task>           13 request:<id> 14 lease:<name>
   (8 to 14 are prefixes: the id is appended.)

  Return codes (the first element of a reply; reply-errors.ts turns each into the error the
  other backends throw):
    0 OK                  then revision, change fields (repeated for several changes)
    1 NOT_FOUND           id
    2 INVALID_TRANSITION  id, from ("" = new), to
    3 OWNERSHIP           id, from, to, current owner (nil = none), attempted owner (nil = none)
    4 REVISION_MISMATCH   id, expected, actual
    5 REQUEST_ID_REUSED   request id

  Optional string arguments are "" for none and "=" .. value otherwise.
]]
local K = {
  revision = KEYS[1], changes = KEYS[2], oldest = KEYS[3], definitions = KEYS[4], records = KEYS[5],
  available = KEYS[6], runners = KEYS[7], record = KEYS[8], history = KEYS[9], status = KEYS[10],
  owner = KEYS[11], availableTask = KEYS[12], request = KEYS[13], lease = KEYS[14],
}

local OK, NOT_FOUND, INVALID_TRANSITION, OWNERSHIP, REVISION_MISMATCH, REQUEST_ID_REUSED = 0, 1, 2, 3, 4, 5

-- The caller's clock (ms) when it gave one, else Redis's.
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- The stream entry id of a revision (a number or its decimal string).
local function entry_id(revision)
  return string.format('%d-0', revision)
end

local function optional(arg)
  if arg == '' then return false end
  return string.sub(arg, 2)
end

local definitions = {}
-- The definition of a status ('' = a new invocation), decoded once per script call.
local function definition(status)
  local d = definitions[status]
  if d then return d end
  local raw = redis.call('HGET', K.definitions, status)
  if not raw then
    error('pynenc-status: no definition of status "' .. status .. '" in ' .. K.definitions)
  end
  d = cjson.decode(raw)
  d.allows = {}
  for _, target in ipairs(d.allowedTransitions) do d.allows[target] = true end
  definitions[status] = d
  return d
end

-- The current record, or nil. owner is false when nobody owns it.
local function read_record(id)
  local f = redis.call('HMGET', K.record .. id, 's', 'o', 't', 'r', 'k')
  if not f[1] then return nil end
  return { id = id, status = f[1], owner = f[2], timestamp = tonumber(f[3]), revision = tonumber(f[4]), task = f[5] }
end

-- A record as replies carry it: id, status, owner (nil = none), timestamp, revision, task.
local function record_reply(id)
  local f = redis.call('HMGET', K.record .. id, 's', 'o', 't', 'r', 'k')
  if not f[1] then return nil end
  return { id, f[1], f[2], f[3], f[4], f[5] }
end

--[[
  The checks of one transition, in the order of apply-transition.ts and the core: unknown
  invocation, expected revision, allowed target, ownership; then the new owner. Returns an error
  reply, or nil and the record after the change (without its revision).
]]
local function check(cur, id, to, runner, task, expected, now)
  if not cur and not definition('').allows[to] then return { NOT_FOUND, id } end
  if expected ~= '' then
    local actual = cur and cur.revision or 0
    if actual ~= tonumber(expected) then return { REVISION_MISMATCH, id, tonumber(expected), actual } end
  end
  local from = cur and cur.status or ''
  if not definition(from).allows[to] then return { INVALID_TRANSITION, id, from, to } end
  local target = definition(to)
  if cur and not target.overridesOwnership then
    if definition(cur.status).requiresOwnership and runner ~= cur.owner then
      return { OWNERSHIP, id, from, to, cur.owner, runner }
    end
    if target.acquiresOwnership and (not runner or runner == '') then
      return { OWNERSHIP, id, from, to, cur.owner, runner }
    end
  end
  local owner = false
  if target.acquiresOwnership then
    owner = runner
  elseif not target.releasesOwnership and cur then
    owner = cur.owner
  end
  return nil, { id = id, status = to, owner = owner, timestamp = now, task = cur and cur.task or task }
end

-- The fields of a change, as the stream entry and every reply carry it.
local function change_fields(new, cur, reason, request_id)
  local f = { 'i', new.id, 's', new.status, 't', string.format('%d', new.timestamp), 'k', new.task }
  if new.owner then f[#f + 1] = 'o'; f[#f + 1] = new.owner end
  if cur then
    f[#f + 1] = 'p'; f[#f + 1] = cur.status
    if cur.owner then f[#f + 1] = 'q'; f[#f + 1] = cur.owner end
  end
  if reason ~= '' then f[#f + 1] = 'w'; f[#f + 1] = reason end
  if request_id ~= '' then f[#f + 1] = 'x'; f[#f + 1] = request_id end
  return f
end

local function unindex(rec)
  redis.call('ZREM', K.records, rec.id)
  redis.call('ZREM', K.status .. rec.status, rec.id)
  redis.call('ZREM', K.available, rec.id)
  if rec.task ~= '' then redis.call('ZREM', K.availableTask .. rec.task, rec.id) end
  if rec.owner then redis.call('SREM', K.owner .. rec.owner, rec.id) end
end

local function index(rec)
  redis.call('ZADD', K.records, rec.revision, rec.id)
  redis.call('ZADD', K.status .. rec.status, rec.timestamp, rec.id)
  if definition(rec.status).availableForRun then
    redis.call('ZADD', K.available, rec.revision, rec.id)
    if rec.task ~= '' then redis.call('ZADD', K.availableTask .. rec.task, rec.revision, rec.id) end
  end
  if rec.owner then redis.call('SADD', K.owner .. rec.owner, rec.id) end
end

--[[
  Commit a checked change under the next revision: the record, every index, the invocation's
  history and the stream entry, together. Sets new.revision; returns the change's fields.
]]
local function commit(cur, new, reason, request_id)
  local revision = redis.call('INCR', K.revision)
  new.revision = revision
  local key = K.record .. new.id
  if cur then
    unindex(cur)
  else
    redis.call('DEL', K.history .. new.id)
  end
  redis.call('HSET', key, 's', new.status, 't', string.format('%d', new.timestamp), 'r', revision, 'k', new.task)
  if new.owner then redis.call('HSET', key, 'o', new.owner) else redis.call('HDEL', key, 'o') end
  index(new)
  redis.call('RPUSH', K.history .. new.id, revision)
  local fields = change_fields(new, cur, reason, request_id)
  redis.call('XADD', K.changes, entry_id(revision), unpack(fields))
  return fields
end

-- One field of a change's flat field list, or false.
local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return false
end
