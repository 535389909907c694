-- Remove a fired timer unless it was rescheduled meanwhile. KEYS[1]: timers. ARGV: member, lease_score
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) == tonumber(ARGV[2]) then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 1
end
return 0
