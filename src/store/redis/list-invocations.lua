--[[
  One page of a namespace's invocations matching a filter, in one of four orders, read together
  with the revision it was read at. It reads through the narrowest index the query names, as
  memory/list-invocations.ts does: the ids themselves or the runner's owner set (then sorted); in
  revision order the statuses' revision indexes (merged) when they hold no more than the task's,
  else the task's or the namespace's revision index; in registration order the statuses' records
  (then sorted) when they are few against the registration index (the kept counts say), else the
  task's or the namespace's registration index. Indexes are walked from the cursor on, so a page
  costs what it skips and returns plus what the filters the index does not serve pass over.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 namespace  2 order ("revision", "revision-desc", "newest-registration",
        "oldest-registration")  3 after: the last key of the previous page ("" = from the start)
        4 offset  5 limit  6 task id (optional)  7 owner (optional)  8 id prefix (optional)
        9 how many statuses ("" = any status), then the statuses
        then how many ids ("" = any id), then the ids
  Returns: {revision, record, record, ...}, each record as record_reply (include/store.lua).
]]
local ns, order = ARGV[1], ARGV[2]
local after = ARGV[3] ~= '' and tonumber(ARGV[3])
local offset, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local task, runner, prefix = optional(ARGV[6]), optional(ARGV[7]), optional(ARGV[8])

-- A list argument: false when absent, else its values as a list and as a set.
local next_arg = 9
local function list_arg()
  local count = ARGV[next_arg]
  next_arg = next_arg + 1
  if count == '' then return false, false end
  local list, set = {}, {}
  for j = 0, tonumber(count) - 1 do
    list[#list + 1] = ARGV[next_arg + j]
    set[ARGV[next_arg + j]] = true
  end
  next_arg = next_arg + tonumber(count)
  return list, set
end
local statuses, status_set = list_arg()
local ids, id_set = list_arg()

local by_registration = order == 'newest-registration' or order == 'oldest-registration'
local descending = order == 'revision-desc' or order == 'newest-registration'
local function sort_key(rec)
  if by_registration then return rec.registered end
  return rec.revision
end
local function in_order(a, b)
  if descending then return sort_key(a) > sort_key(b) end
  return sort_key(a) < sort_key(b)
end
local function after_cursor(rec)
  if not after then return true end
  if descending then return sort_key(rec) < after end
  return sort_key(rec) > after
end
local function matches(rec)
  return (not status_set or status_set[rec.status]) and (not task or rec.task == task)
    and (not runner or rec.owner == runner) and (not id_set or id_set[rec.id])
    and (not prefix or string.sub(rec.id, 1, #prefix) == prefix)
end

local reply = { current_revision() }
if limit <= 0 then return reply end

-- The page of sorted records: offset, then limit.
local function emit(records)
  for i = offset + 1, math.min(#records, offset + limit) do reply[#reply + 1] = record_reply(records[i]) end
  return reply
end

-- The page of a set of candidate ids: filtered, after the cursor, sorted, offset, limited.
local function page_of(candidates)
  local found = {}
  for _, id in ipairs(candidates) do
    local rec = read_record(ns, id)
    if rec and matches(rec) and after_cursor(rec) then found[#found + 1] = rec end
  end
  table.sort(found, in_order)
  return emit(found)
end

-- Up to `take` matching records of an index walked in the query's order from the cursor, after
-- skipping `skip` of them.
local function walk_index(zset, skip, take)
  local found = {}
  walk(zset, descending, after, function(id)
    local rec = read_record(ns, id)
    if rec and matches(rec) then
      if skip > 0 then
        skip = skip - 1
      else
        found[#found + 1] = rec
        if #found >= take then return true end
      end
    end
    return false
  end)
  return found
end

if ids then return page_of(ids) end
if runner then return page_of(redis.call('SMEMBERS', key(K.owner, ns, runner))) end

if not by_registration then
  local index = task and key(K.task, ns, task) or key(K.records, ns)
  if statuses then
    local in_statuses = 0
    for _, status in ipairs(statuses) do
      in_statuses = in_statuses + redis.call('ZCARD', key(K.statusByRevision, ns, status))
    end
    if not task or in_statuses <= redis.call('ZCARD', index) then
      -- Each status gives at most offset + limit candidates; the page is among them.
      local merged = {}
      for _, status in ipairs(statuses) do
        for _, rec in ipairs(walk_index(key(K.statusByRevision, ns, status), 0, offset + limit)) do
          merged[#merged + 1] = rec
        end
      end
      table.sort(merged, in_order)
      return emit(merged)
    end
  end
  for _, rec in ipairs(walk_index(index, offset, limit)) do reply[#reply + 1] = record_reply(rec) end
  return reply
end

local index = task and key(K.taskRegistrations, ns, task) or key(K.registrations, ns)
if statuses then
  local counts = task and key(K.taskCounts, ns, task) or key(K.counts, ns)
  local matching = 0
  for _, status in ipairs(statuses) do matching = matching + tonumber(redis.call('HGET', counts, status) or '0') end
  -- Few matching records against many registered: sorting them beats walking past the rest.
  if matching * 4 < redis.call('ZCARD', index) then
    local candidates = {}
    for _, status in ipairs(statuses) do
      for _, id in ipairs(redis.call('ZRANGE', key(K.statusByRevision, ns, status), 0, -1)) do
        candidates[#candidates + 1] = id
      end
    end
    return page_of(candidates)
  end
end
for _, rec in ipairs(walk_index(index, offset, limit)) do reply[#reply + 1] = record_reply(rec) end
return reply
