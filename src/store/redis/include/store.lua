--[[
  Shared by every script (prepended when the scripts are loaded): the keyspace, the clock, the
  state machine read from the definitions hash, the checks of a transition and the one path that
  commits a change and keeps every index and count.

  KEYS (the same for every script, built in keys.ts):
    1 settings        2 revision         3 changes          4 oldest           5 definitions
    6 namespaces      7 lease:           8 record:          9 history:        10 records:
   11 registrations: 12 status:         13 status-revision: 14 task:          15 task-registrations:
   16 available:     17 available-task: 18 owner:          19 counts:         20 task-counts:
   21 runners:       22 runner:         23 requests:
   (7 on are kind prefixes: key() appends the namespace as `<byte length>:<namespace>` and, for
   keys per invocation, status, task or runner, `:<id>`.)

  Return codes (the first element of a reply, or of each item of a batch reply; reply-errors.ts
  turns each into the error the other backends throw):
    0 OK                  then revision, change fields (repeated for several changes)
    1 NOT_FOUND           id
    2 INVALID_TRANSITION  id, from ("" = new), to
    3 OWNERSHIP           id, from, to, current owner (nil = none), attempted owner (nil = none)
    4 REVISION_MISMATCH   id, expected, actual
    5 REQUEST_ID_REUSED   request id

  Optional string arguments are "" for none and "=" .. value otherwise.
]]
local K = {
  settings = KEYS[1], revision = KEYS[2], changes = KEYS[3], oldest = KEYS[4], definitions = KEYS[5],
  namespaces = KEYS[6], lease = KEYS[7], record = KEYS[8], history = KEYS[9], records = KEYS[10],
  registrations = KEYS[11], status = KEYS[12], statusByRevision = KEYS[13], task = KEYS[14],
  taskRegistrations = KEYS[15], available = KEYS[16], availableTask = KEYS[17], owner = KEYS[18],
  counts = KEYS[19], taskCounts = KEYS[20], runners = KEYS[21], runner = KEYS[22], requests = KEYS[23],
}

local OK, NOT_FOUND, INVALID_TRANSITION, OWNERSHIP, REVISION_MISMATCH, REQUEST_ID_REUSED = 0, 1, 2, 3, 4, 5

-- A per-namespace key (keys.ts namespacedKey): kind prefix, `<byte length>:<ns>`, then `:<id>` if given.
local function key(kind, ns, id)
  local k = kind .. #ns .. ':' .. ns
  if id then return k .. ':' .. id end
  return k
end

-- The caller's clock (ms) when it gave one, else Redis's.
local function clock(arg)
  if arg ~= '' then return tonumber(arg) end
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A whole number as Redis and the replies carry it.
local function int(n)
  return string.format('%d', n)
end

-- The stream entry id of a revision (a number or its decimal string).
local function entry_id(revision)
  return string.format('%d-0', revision)
end

local function optional(arg)
  if arg == '' then return false end
  return string.sub(arg, 2)
end

local function current_revision()
  return tonumber(redis.call('GET', K.revision) or '0')
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
local function read_record(ns, id)
  local f = redis.call('HMGET', key(K.record, ns, id), 's', 'o', 't', 'r', 'k', 'g', 'a')
  if not f[1] then return nil end
  return {
    ns = ns, id = id, status = f[1], owner = f[2], timestamp = tonumber(f[3]), revision = tonumber(f[4]),
    task = f[5], registered = tonumber(f[6]), registered_at = tonumber(f[7]),
  }
end

-- A record as replies carry it: id, status, owner (nil = none), timestamp, revision, task,
-- registration revision, registration time (script-replies.ts RecordReply).
local function record_reply(rec)
  return {
    rec.id, rec.status, rec.owner, int(rec.timestamp), int(rec.revision), rec.task, int(rec.registered),
    int(rec.registered_at),
  }
end

--[[
  The checks of one transition, in the order of apply-transition.ts and the core: unknown
  invocation, expected revision, allowed target, ownership; then the new owner. Returns an error
  reply, or nil and the record after the change (without its revision).
]]
local function check(cur, ns, id, to, runner, task, expected, now)
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
  return nil, {
    ns = ns, id = id, status = to, owner = owner, timestamp = now, task = cur and cur.task or task,
    registered = cur and cur.registered or false, registered_at = cur and cur.registered_at or now,
  }
end

-- The fields of a change, as the stream entry and every reply carry it (script-replies.ts).
local function change_fields(new, cur, reason, principal, request_id)
  local f = {
    'n', new.ns, 'i', new.id, 's', new.status, 't', int(new.timestamp), 'k', new.task,
    'g', int(new.registered), 'a', int(new.registered_at),
  }
  if new.owner then f[#f + 1] = 'o'; f[#f + 1] = new.owner end
  if cur then
    f[#f + 1] = 'p'; f[#f + 1] = cur.status
    if cur.owner then f[#f + 1] = 'q'; f[#f + 1] = cur.owner end
  end
  if reason ~= '' then f[#f + 1] = 'w'; f[#f + 1] = reason end
  if principal ~= '' then f[#f + 1] = 'u'; f[#f + 1] = principal end
  if request_id ~= '' then f[#f + 1] = 'x'; f[#f + 1] = request_id end
  return f
end

-- One field of a change's flat field list, or false.
local function field(fields, name)
  for i = 1, #fields, 2 do
    if fields[i] == name then return fields[i + 1] end
  end
  return false
end

-- Move the counts of a record's namespace and task by delta; a count that reaches 0 is removed.
local function add_count(rec, delta)
  for _, k in ipairs({ key(K.counts, rec.ns), key(K.taskCounts, rec.ns, rec.task) }) do
    if redis.call('HINCRBY', k, rec.status, delta) <= 0 then redis.call('HDEL', k, rec.status) end
  end
end

-- Take a record out of everything that depends on its status and owner: the status, availability
-- and owner indexes and the counts.
local function leave_status(rec)
  local ns, id = rec.ns, rec.id
  redis.call('ZREM', key(K.status, ns, rec.status), id)
  redis.call('ZREM', key(K.statusByRevision, ns, rec.status), id)
  if definition(rec.status).availableForRun then
    redis.call('ZREM', key(K.available, ns), id)
    redis.call('ZREM', key(K.availableTask, ns, rec.task), id)
  end
  if rec.owner then redis.call('SREM', key(K.owner, ns, rec.owner), id) end
  add_count(rec, -1)
end

local function enter_status(rec)
  local ns, id, revision = rec.ns, rec.id, rec.revision
  redis.call('ZADD', key(K.status, ns, rec.status), rec.timestamp, id)
  redis.call('ZADD', key(K.statusByRevision, ns, rec.status), revision, id)
  if definition(rec.status).availableForRun then
    redis.call('ZADD', key(K.available, ns), revision, id)
    redis.call('ZADD', key(K.availableTask, ns, rec.task), revision, id)
  end
  if rec.owner then redis.call('SADD', key(K.owner, ns, rec.owner), id) end
  add_count(rec, 1)
end

--[[
  Commit a checked change under the next revision: the record, every index, the counts, the
  invocation's history and the stream entry, together. Sets new.revision (and, for a
  registration, new.registered); returns the change's fields.
]]
local function commit(cur, new, reason, principal, request_id)
  local revision = redis.call('INCR', K.revision)
  local ns, id = new.ns, new.id
  new.revision = revision
  local record = key(K.record, ns, id)
  if cur then
    leave_status(cur)
  else
    new.registered = revision
    redis.call('DEL', key(K.history, ns, id))
    redis.call('ZADD', key(K.registrations, ns), revision, id)
    redis.call('ZADD', key(K.taskRegistrations, ns, new.task), revision, id)
    redis.call('SADD', K.namespaces, ns)
    redis.call('HSET', record, 'k', new.task, 'g', revision, 'a', int(new.registered_at))
  end
  redis.call('HSET', record, 's', new.status, 't', int(new.timestamp), 'r', revision)
  if new.owner then redis.call('HSET', record, 'o', new.owner) else redis.call('HDEL', record, 'o') end
  redis.call('ZADD', key(K.records, ns), revision, id)
  redis.call('ZADD', key(K.task, ns, new.task), revision, id)
  enter_status(new)
  redis.call('RPUSH', key(K.history, ns, id), revision)
  local fields = change_fields(new, cur, reason, principal, request_id)
  redis.call('XADD', K.changes, entry_id(revision), unpack(fields))
  return fields
end

-- Forget a record: its entry in every index, its count, the record and its history.
local function forget(rec)
  local ns, id = rec.ns, rec.id
  leave_status(rec)
  redis.call('ZREM', key(K.records, ns), id)
  redis.call('ZREM', key(K.registrations, ns), id)
  redis.call('ZREM', key(K.task, ns, rec.task), id)
  redis.call('ZREM', key(K.taskRegistrations, ns, rec.task), id)
  redis.call('DEL', key(K.record, ns, id), key(K.history, ns, id))
end

-- The change a committed revision made, as {OK, revision, fields}, or nil once compacted.
local function committed_change(revision)
  local entry = redis.call('XRANGE', K.changes, entry_id(revision), entry_id(revision))
  if entry[1] then return { OK, tonumber(revision), entry[1][2] } end
  return nil
end

--[[
  One transition as transition.lua and each item of batch-transition.lua run it: the request id
  first (a retry returns the change it produced), then the checks, then the commit unless
  validate-only. Returns the reply: {OK, revision, fields} or an error code (see above).
]]
local function transition_one(ns, id, to, runner, task, expected, validate_only, reason, principal, request_id,
                              fingerprint, now)
  local remember = request_id ~= '' and not validate_only
  local requests = key(K.requests, ns)
  if remember then
    local seen = redis.call('HGET', requests, request_id)
    if seen then
      local colon = string.find(seen, ':', 1, true)
      if string.sub(seen, colon + 1) ~= fingerprint then return { REQUEST_ID_REUSED, request_id } end
      local change = committed_change(string.sub(seen, 1, colon - 1))
      if change then return change end
    end
  end

  local cur = read_record(ns, id)
  local err, new = check(cur, ns, id, to, runner, task, expected, now)
  if err then return err end

  if validate_only then
    new.revision = current_revision() + 1
    new.registered = new.registered or new.revision
    return { OK, new.revision, change_fields(new, cur, reason, principal, '') }
  end

  local fields = commit(cur, new, reason, principal, request_id)
  if remember then redis.call('HSET', requests, request_id, int(new.revision) .. ':' .. fingerprint) end
  return { OK, new.revision, fields }
end

--[[
  Walk a sorted set whose scores are unique (revisions) in score order, after a score (exclusive;
  false = from the start), handing each member to visit until it returns true. Reads in chunks,
  each continuing after the last score read, so a long walk never re-reads what it passed.
]]
local function walk(zset, descending, after, visit)
  local cursor
  if descending then cursor = after and ('(' .. int(after)) or '+inf' else cursor = after and ('(' .. int(after)) or '-inf' end
  while true do
    local chunk
    if descending then
      chunk = redis.call('ZREVRANGEBYSCORE', zset, cursor, '-inf', 'WITHSCORES', 'LIMIT', 0, 256)
    else
      chunk = redis.call('ZRANGEBYSCORE', zset, cursor, '+inf', 'WITHSCORES', 'LIMIT', 0, 256)
    end
    for i = 1, #chunk, 2 do
      if visit(chunk[i], tonumber(chunk[i + 1])) then return end
    end
    if #chunk < 512 then return end
    cursor = '(' .. chunk[#chunk]
  end
end
