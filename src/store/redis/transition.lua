--[[
  Move one invocation to a new status: check it against the current record and, unless
  validate-only, commit it (record, indexes, counts, history, stream entry) under the next revision.

  KEYS: the keyspace (include/store.lua).
  ARGV:
    1 clock ms ("" = Redis TIME)
    2 namespace            3 invocation id           4 target status
    5 runner (optional: "" or "=" .. id)             6 task id (registration only)
    7 expected revision ("" = any)                   8 "1" = validate only
    9 reason               10 principal              11 request id ("" = none)
   12 request fingerprint
  Returns: {0, revision, fields}, or {1..5, ...} (see include/store.lua). A retry under a known
  request id returns the change it produced, read back from the stream.
]]
return transition_one(ARGV[2], ARGV[3], ARGV[4], optional(ARGV[5]), ARGV[6], ARGV[7], ARGV[8] == '1', ARGV[9],
  ARGV[10], ARGV[11], ARGV[12], clock(ARGV[1]))
