-- A token bucket for one budget and one client: room for `capacity` uses at once, refilled at
-- `per_ms` tokens a millisecond up to `capacity`. Refill and take are one step, so every node
-- sharing this Redis draws from the same bucket. The key expires once the bucket would be full.
-- ARGV[4..]: name, who, capacity, per_ms
-- Returns {1, tokens left (floor)} | {0, ms until one token is back}
local key = P .. 'bucket:' .. ARGV[4] .. ':' .. ARGV[5]
local capacity, per_ms = tonumber(ARGV[6]), tonumber(ARGV[7])
local b = redis.call('HMGET', key, 'tokens', 'at')
local tokens, at = tonumber(b[1]) or capacity, tonumber(b[2]) or NOW
if NOW > at then
  tokens = math.min(capacity, tokens + (NOW - at) * per_ms)
  at = NOW
end
if tokens < 1 then return {0, math.ceil((1 - tokens) / per_ms)} end
tokens = tokens - 1
redis.call('HSET', key, 'tokens', string.format('%.6f', tokens), 'at', at)
redis.call('PEXPIRE', key, math.ceil((capacity - tokens) / per_ms) + 1000)
return {1, math.floor(tokens)}
