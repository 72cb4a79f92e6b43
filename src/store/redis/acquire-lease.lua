--[[
  Take or renew a lease: granted when nobody holds it, it has expired, or the holder renews it.
  On Redis's clock the key also expires by itself (PEXPIRE); on a caller's clock only the stored
  expiry counts, since Redis's own timer runs on real time.

  KEYS: the keyspace (include/store.lua).
  ARGV: 1 lease name  2 holder  3 ttl ms  4 clock ms ("" = Redis TIME)
  Returns: 1 granted, 0 held by another holder.
]]
local lease_key, holder, ttl = K.lease .. ARGV[1], ARGV[2], tonumber(ARGV[3])
local now = clock(ARGV[4])
local lease = redis.call('HMGET', lease_key, 'holder', 'expires')
if lease[1] and lease[1] ~= holder and tonumber(lease[2]) > now then return 0 end
redis.call('HSET', lease_key, 'holder', holder, 'expires', string.format('%d', now + ttl))
if ARGV[4] == '' then redis.call('PEXPIRE', lease_key, ttl) else redis.call('PERSIST', lease_key) end
return 1
