--[[
  Open the store under a prefix: refuse a prefix that holds another key layout (the previous one
  had a revision but no settings hash) or was created with another state machine; on first use pin
  the layout, the state machine's profile and the page-token secret (HSETNX: the first replica's
  win). Then write the state machine for the scripts, replacing what was there, in the same step,
  so no script of another replica ever finds the definitions missing.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 key layout version  2 profile  3 a fresh random page-token secret (hex), then the
        definitions hash as field, value pairs
  Returns: {"ok", page-token secret, revision, oldest revision kept}, or {"old-layout"},
  {"layout", the layout found} or {"profile", the profile pinned}.
]]
local layout, profile, secret = ARGV[1], ARGV[2], ARGV[3]
if redis.call('EXISTS', K.settings) == 0 and redis.call('EXISTS', K.revision) == 1 then return { 'old-layout' } end
redis.call('HSETNX', K.settings, 'layout', layout)
redis.call('HSETNX', K.settings, 'profile', profile)
redis.call('HSETNX', K.settings, 'page-token-secret', secret)
local pinned = redis.call('HMGET', K.settings, 'layout', 'profile', 'page-token-secret')
if pinned[1] ~= layout then return { 'layout', pinned[1] } end
if pinned[2] ~= profile then return { 'profile', pinned[2] } end
redis.call('DEL', K.definitions)
redis.call('HSET', K.definitions, unpack(ARGV, 4))
return { 'ok', pinned[3], int(current_revision()), redis.call('GET', K.oldest) or '1' }
