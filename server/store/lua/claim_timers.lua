-- Claim due timers for this node: each due member is re-scored to now+lease, so another node takes
-- it over if this one dies before completing it. KEYS[1]: timers ZSET. ARGV: now, lease_ms, limit
-- Returns a flat list: member, lease_score, due_score, member, lease_score, due_score...
local now, lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)
local out = {}
for i = 1, #due, 2 do
  redis.call('ZADD', KEYS[1], now + lease, due[i])
  out[#out + 1] = due[i]
  out[#out + 1] = tostring(now + lease)
  out[#out + 1] = due[i + 1]
end
return out
