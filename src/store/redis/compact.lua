--[[
  Drop what the retention policy no longer keeps, in bounded steps (the caller repeats while the
  reply says there is more). Changes go oldest first, each with its history entry and the
  request id that produced it; final invocations of every namespace older than the purge delay
  are forgotten with their history, leaving their indexes and counts. The oldest revision kept
  only ever moves up.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 clock ms ("" = Redis TIME)  2 max changes ("" = no limit)  3 max age ms ("" = no limit)
        4 purge final after ms ("" = never)  5 most changes and invocations removed per call
  Returns: {changes removed, request ids removed, invocations purged, oldest revision kept,
  1 when there is more to do else 0}.
]]
local now = clock(ARGV[1])
local max_changes, max_age, purge_after, limit = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
local current = current_revision()
local oldest = tonumber(redis.call('GET', K.oldest) or '1')

local keep_from = oldest
if max_changes ~= '' then keep_from = math.max(keep_from, current - tonumber(max_changes) + 1) end
local cutoff = false
if max_age ~= '' then cutoff = now - tonumber(max_age) end

local removed, requests, purged, more = 0, 0, 0, 0
local new_oldest = oldest
if keep_from > oldest or cutoff then
  local done = false
  while not done and removed < limit do
    local batch = redis.call('XRANGE', K.changes, entry_id(new_oldest), '+', 'COUNT', math.min(64, limit - removed))
    if #batch == 0 then
      new_oldest = current + 1
      done = true
    end
    for _, entry in ipairs(batch) do
      local revision = string.match(entry[1], '^(%d+)')
      local rev, fields = tonumber(revision), entry[2]
      if rev >= keep_from and not (cutoff and tonumber(field(fields, 't')) < cutoff) then
        new_oldest = rev
        done = true
        break
      end
      local ns = field(fields, 'n')
      local history = key(K.history, ns, field(fields, 'i'))
      if redis.call('LINDEX', history, 0) == revision then redis.call('LPOP', history) end
      local request_id = field(fields, 'x')
      if request_id then
        -- Only the key this change made: a purged namespace may have used it again since.
        local hash = key(K.requests, ns)
        local seen = redis.call('HGET', hash, request_id)
        if seen and string.sub(seen, 1, #revision + 1) == revision .. ':' then
          requests = requests + redis.call('HDEL', hash, request_id)
        end
      end
      removed = removed + 1
      new_oldest = rev + 1
    end
  end
  if not done then more = 1 end
  if new_oldest > oldest then
    redis.call('XTRIM', K.changes, 'MINID', entry_id(new_oldest))
    redis.call('SET', K.oldest, new_oldest)
  end
end

if purge_after ~= '' then
  local before = '(' .. int(now - tonumber(purge_after))
  local finals = {}
  for _, status in ipairs(redis.call('HKEYS', K.definitions)) do
    if status ~= '' and definition(status).isFinal then finals[#finals + 1] = status end
  end
  for _, ns in ipairs(redis.call('SMEMBERS', K.namespaces)) do
    for _, status in ipairs(finals) do
      if purged < limit then
        local index = key(K.status, ns, status)
        for _, id in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', before, 'LIMIT', 0, limit - purged)) do
          local rec = read_record(ns, id)
          if rec then
            forget(rec)
            purged = purged + 1
          else
            redis.call('ZREM', index, id)
          end
        end
        if purged >= limit then more = 1 end
      end
    end
    if redis.call('ZCARD', key(K.records, ns)) == 0 then redis.call('SREM', K.namespaces, ns) end
  end
end

return { removed, requests, purged, math.max(new_oldest, oldest), more }
