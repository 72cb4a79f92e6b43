--[[
  How many invocations of a namespace, or of one of its tasks, are in each status: the counts the
  commit path keeps (include/store.lua add_count), read at one revision, never recounted.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 namespace  2 task id (optional: "" = the whole namespace, or "=" .. task id)
  Returns: {revision, {status, count, status, count, ...}} (statuses with none left out).
]]
local ns, task = ARGV[1], optional(ARGV[2])
local counts = task and key(K.taskCounts, ns, task) or key(K.counts, ns)
return { current_revision(), redis.call('HGETALL', counts) }
